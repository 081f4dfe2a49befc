using System;
using System.Collections.Generic;
using System.Linq;
using ModelDsl.IO;
using ModelDsl.Memory;
using ModelDsl.Optim;
using ModelDsl.Threading;

namespace ModelDsl.Training;

/// <summary>
/// What every generated <c>Trainer</c> shares, whatever its model: the gradient block (laid out as the parameters), the
/// optimizer and its state, the learning-rate schedule, gradient clipping, the worker pool, the step count and dropout
/// seed, checkpoints, and disposal. The generated subclass adds the model's arenas, its forward and backward passes and
/// its <c>Batch</c>-typed <c>Step</c>, <c>ComputeGradients</c> and <c>Evaluate</c>.
/// </summary>
public abstract class TrainerBase : IDisposable
{
    private readonly string _modelName;
    private readonly AlignedBlock _parameters;
    private readonly AlignedBlock? _state;
    private readonly IReadOnlyList<ParameterEntry> _parameterTable;
    private readonly IReadOnlyList<ParameterEntry> _stateTable;
    private readonly Optimizer _optimizer;
    private readonly LearningRateSchedule? _schedule;
    private readonly float _clipNorm;
    private readonly bool _ownsPool;
    private readonly int _stateLength;
    private readonly long _maskBytesPerStep;
    private readonly AlignedBlock _gradients;
    private readonly AlignedBlock _optimizerState;
    private readonly bool[] _frozen;
    private readonly bool[] _noDecay;
    private Optimizer? _withoutDecay;
    private int[] _frozenRanges = [];
    private int[] _activeRanges = [];
    private int[] _noDecayRanges = [];
    private bool _partial;
    private bool _disposed;

    /// <summary>Checks the arguments and allocates the gradients, the optimizer state and the pool.</summary>
    /// <param name="modelName">The model's name, for messages.</param>
    /// <param name="parameters">The model's parameter block (updated in place).</param>
    /// <param name="parameterTable">The model's parameters (names, offsets, shapes), for checkpoints.</param>
    /// <param name="state">The model's state block (BatchNorm running statistics), or null.</param>
    /// <param name="stateTable">The state's buffers, for checkpoints (empty without state).</param>
    /// <param name="optimizer">The update rule.</param>
    /// <param name="threads">Worker threads for the kernels (1 = serial, no pool).</param>
    /// <param name="schedule">
    /// Learning rate per step, or null for the optimizer's constant rate. A schedule with a
    /// <see cref="LearningRateSchedule.BaseRate"/> must agree with the optimizer's rate (one place for the rate).
    /// </param>
    /// <param name="clipNorm">Global L2 norm to clip the gradients to before each update (0 = no clipping).</param>
    /// <param name="dropoutSeed">Seed of the dropout masks.</param>
    /// <param name="maskBytesPerStep">Dropout mask bytes one step draws (the random offset a checkpoint records).</param>
    protected TrainerBase(
        string modelName, AlignedBlock parameters, IReadOnlyList<ParameterEntry> parameterTable, AlignedBlock? state, IReadOnlyList<ParameterEntry> stateTable,
        Optimizer optimizer, int threads, LearningRateSchedule? schedule, float clipNorm, ulong dropoutSeed, long maskBytesPerStep)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(parameterTable);
        ArgumentNullException.ThrowIfNull(stateTable);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (threads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads, modelName + ".Trainer: threads must be at least 1.");
        }

        if (!(clipNorm >= 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(clipNorm), clipNorm, modelName + ".Trainer: clipNorm must be 0 (off) or positive.");
        }

        if (schedule?.BaseRate is float scheduled && scheduled != optimizer.LearningRate)
        {
            throw new ArgumentException(FormattableString.Invariant(
                $"{modelName}.Trainer: the learning rate is given twice, {optimizer.GetType().Name}({optimizer.LearningRate}) and {schedule.GetType().Name}({scheduled}). The schedule sets the rate of every step: give the optimizer the same rate, or no schedule."),
                nameof(schedule));
        }

        _modelName = modelName;
        _parameters = parameters;
        _parameterTable = parameterTable;
        _state = state;
        _stateTable = stateTable;
        _optimizer = optimizer;
        _schedule = schedule;
        _clipNorm = clipNorm;
        _maskBytesPerStep = maskBytesPerStep;
        DropoutSeed = dropoutSeed;
        LearningRate = optimizer.LearningRate;
        _ownsPool = threads > 1;
        Pool = threads > 1 ? new WorkerPool(threads) : WorkerPool.Serial;
        int length = parameters.Length;
        _gradients = new AlignedBlock(length);
        _stateLength = checked((int)optimizer.StateLength(length));
        _optimizerState = new AlignedBlock(_stateLength);
        optimizer.InitializeState(_optimizerState.Span, length);
        _frozen = new bool[parameterTable.Count];
        _noDecay = new bool[parameterTable.Count];
    }

    /// <summary>Gradients of the last <c>Step</c> or <c>ComputeGradients</c>, laid out as the model's parameters.</summary>
    public AlignedBlock Gradients => _gradients;

    /// <summary>Whether <c>Step</c> and <c>ComputeGradients</c> apply dropout (default true; <c>Evaluate</c> never does).</summary>
    public bool DropoutEnabled { get; set; } = true;

    /// <summary>Optimizer updates done so far (the next step is <c>Steps + 1</c>).</summary>
    public long Steps { get; private set; }

    /// <summary>
    /// The names of the model's losses when its objective weighs several (<c>Step</c> returns <c>Σ Weight · loss</c>), in declaration
    /// order; empty for a model with one unweighted loss (its value is what <c>Step</c> returns). See docs/dsl.md, "Several heads and losses".
    /// </summary>
    public virtual IReadOnlyList<string> LossNames => [];

    /// <summary>The per-loss means of the last forward pass (<c>Step</c>, <c>ComputeGradients</c> or <c>Evaluate</c>), unweighted, in <see cref="LossNames"/> order.</summary>
    public virtual ReadOnlySpan<float> LastLosses => default;

    /// <summary>The learning rate of the last update (the optimizer's rate before the first).</summary>
    public float LearningRate { get; private set; }

    /// <summary>The seed of the dropout masks (and of scheduled sampling's draws).</summary>
    public ulong DropoutSeed { get; private set; }

    /// <summary>The threads the kernels run on (<see cref="WorkerPool.Serial"/> for one).</summary>
    public WorkerPool Pool { get; }

    /// <summary>
    /// When set, <c>Step</c> checks the batch's loss and the gradients' global norm before the update and throws
    /// <see cref="InvalidOperationException"/> if either is NaN or infinite, leaving the parameters, the optimizer state
    /// and <see cref="Steps"/> untouched (PyTorch's <c>clip_grad_norm_(error_if_nonfinite=True)</c>, extended to the
    /// loss). Off by default: the check reads every gradient once per step.
    /// </summary>
    public bool ErrorIfNonfinite { get; set; }

    /// <summary>
    /// The update after the gradients of a pass whose loss was <paramref name="loss"/> are computed: with
    /// <see cref="ErrorIfNonfinite"/> set, a non-finite loss or gradient norm throws before anything is changed; then
    /// optional clipping to the global norm and one optimizer step at the schedule's rate for step <c>Steps + 1</c>.
    /// </summary>
    protected void Update(float loss)
    {
        // Frozen parameters have no gradient (PyTorch: requires_grad=False leaves .grad None): cleared before the checks and clipping.
        for (int r = 0; r < _frozenRanges.Length; r += 2)
        {
            _gradients.Span.Slice(_frozenRanges[r], _frozenRanges[r + 1]).Clear();
        }

        if (ErrorIfNonfinite)
        {
            if (!float.IsFinite(loss))
            {
                throw new InvalidOperationException(FormattableString.Invariant(
                    $"{Name}: the loss of step {Steps + 1} is {loss}; nothing was updated (ErrorIfNonfinite). Check the batch's inputs and targets, and the learning rate."));
            }

            double norm = GradientClipping.GlobalNorm(_gradients.Span);
            if (!double.IsFinite(norm))
            {
                throw new InvalidOperationException(FormattableString.Invariant(
                    $"{Name}: the gradients of step {Steps + 1} have a non-finite global norm ({norm}); nothing was updated (ErrorIfNonfinite)."));
            }
        }

        if (_clipNorm > 0f)
        {
            GradientClipping.ClipByGlobalNorm(_gradients.Span, _clipNorm);
        }

        long step = ++Steps;
        float learningRate = _schedule is null ? _optimizer.LearningRate : _schedule.At(step);
        LearningRate = learningRate;
        if (!_partial)
        {
            _optimizer.Step(_parameters.Span, _gradients.Span, _optimizerState.Span.Slice(0, _stateLength), learningRate, step, Pool);
        }
        else
        {
            _optimizer.StepRanges(_parameters.Span, _gradients.Span, _optimizerState.Span.Slice(0, _stateLength), _activeRanges, learningRate, step, Pool);
            _withoutDecay?.StepRanges(_parameters.Span, _gradients.Span, _optimizerState.Span.Slice(0, _stateLength), _noDecayRanges, learningRate, step, Pool);
        }
    }

    /// <summary>
    /// Freezes every parameter of a declared member: <c>Step</c> no longer updates them, nor their optimizer state (moments,
    /// accumulators), nor applies weight decay to them, and clears their gradients before the non-finite check and clipping,
    /// so they count in neither (PyTorch's <c>requires_grad_(False)</c>, whose parameters get no <c>.grad</c> and are skipped by
    /// the optimizer and by <c>clip_grad_norm_</c>). <c>ComputeGradients</c> still computes their gradients. The other
    /// parameters are updated exactly as they would be without freezing. Freezing allocates; a step afterwards does not.
    /// </summary>
    /// <param name="member">
    /// The member's name, <c>nameof(Model.Encoder)</c>, or a state-dict prefix such as <c>encoder.layers.0</c>. A weight tied
    /// to another member's (a head sharing the embedding table) belongs to the member that owns it.
    /// </param>
    /// <exception cref="ArgumentException">No parameter belongs to <paramref name="member"/>; the message lists the members that have parameters.</exception>
    /// <exception cref="NotSupportedException">The optimizer cannot update part of the parameters (a subclass of several state slots from outside this library).</exception>
    public void Freeze(string member) => SetFrozen(member, frozen: true);

    /// <summary>Undoes <see cref="Freeze"/>: the member's parameters are updated again from the next <c>Step</c>, their optimizer state as it was when frozen.</summary>
    /// <param name="member">The member's name or state-dict prefix, as for <see cref="Freeze"/>.</param>
    /// <exception cref="ArgumentException">No parameter belongs to <paramref name="member"/>.</exception>
    public void Unfreeze(string member) => SetFrozen(member, frozen: false);

    /// <summary>
    /// Puts the parameters <paramref name="exclude"/> selects in a second parameter group with weight decay 0, as PyTorch
    /// recipes do with two groups (<c>{"params": decay}, {"params": no_decay, "weight_decay": 0.0}</c>): the optimizer's L2 or
    /// decoupled decay no longer applies to them; everything else about their update is unchanged. The common choice is
    /// <see cref="BiasesAndNorms"/>. Call it again to change the selection (<c>_ =&gt; false</c> puts every parameter back).
    /// Allocates; a step afterwards does not.
    /// </summary>
    /// <param name="exclude">Whether a parameter tensor gets no weight decay.</param>
    /// <exception cref="NotSupportedException">The optimizer is a subclass from outside this library.</exception>
    public void ExcludeFromWeightDecay(Func<ParameterEntry, bool> exclude)
    {
        ArgumentNullException.ThrowIfNull(exclude);
        Optimizer? withoutDecay = _optimizer.WithoutWeightDecay();
        if (withoutDecay is null || !_optimizer.UpdatesPartialBlocks)
        {
            throw new NotSupportedException($"{Name}: {_optimizer.GetType().Name} has no weight-decay-free twin, so no parameter can be excluded from its weight decay.");
        }

        for (int i = 0; i < _parameterTable.Count; i++)
        {
            _noDecay[i] = exclude(_parameterTable[i]);
        }

        _withoutDecay = withoutDecay;
        ComputeRanges();
    }

    /// <summary>
    /// The tensors of fewer than two dimensions: biases, LayerNorm/BatchNorm weights and biases, PReLU slopes (nanoGPT's rule
    /// <c>p.dim() &lt; 2</c>; embeddings and weight matrices keep their decay).
    /// </summary>
    public static Func<ParameterEntry, bool> BiasesAndNorms { get; } = entry => entry.Shape.Count < 2;

    /// <summary>The state-dict names of the parameters <c>Step</c> does not update, in the order of the parameter table.</summary>
    public IReadOnlyList<string> FrozenParameters => _parameterTable.Where((_, i) => _frozen[i]).Select(entry => entry.Name).ToArray();

    private void SetFrozen(string member, bool frozen)
    {
        ArgumentNullException.ThrowIfNull(member);
        if (frozen && !_optimizer.UpdatesPartialBlocks)
        {
            throw new NotSupportedException($"{Name}: {_optimizer.GetType().Name} cannot update part of the parameters (several state slots, no chunked update), so '{member}' cannot be frozen with it.");
        }

        string prefix = MemberNames.StateDictPrefix(member);
        bool any = false;
        for (int i = 0; i < _parameterTable.Count; i++)
        {
            string name = _parameterTable[i].Name;
            if (prefix.Length > 0 && (name == prefix || name.StartsWith(prefix + ".", StringComparison.Ordinal)))
            {
                _frozen[i] = frozen;
                any = true;
            }
        }

        if (!any)
        {
            string members = string.Join(", ", _parameterTable.Select(entry => entry.Name.Split('.')[0]).Distinct(StringComparer.Ordinal));
            throw new ArgumentException(
                $"{Name}: '{member}' (state-dict prefix '{prefix}') names no parameters of {_modelName}. The members with parameters are: {members} (their state-dict prefixes; pass nameof(Member) or a prefix).",
                nameof(member));
        }

        ComputeRanges();
    }

    /// <summary>
    /// Splits the block into [start, count) runs: frozen (not updated), without weight decay, and updated by the optimizer
    /// (every other element, gaps between tensors included, as a whole-block step would).
    /// </summary>
    private void ComputeRanges()
    {
        const byte Decay = 0, NoDecay = 1, Frozen = 2;
        var group = new byte[_parameters.Length];
        for (int i = 0; i < _parameterTable.Count; i++)
        {
            if (_noDecay[i] && !_frozen[i])
            {
                group.AsSpan(_parameterTable[i].Offset, _parameterTable[i].Length).Fill(NoDecay);
            }
        }

        for (int i = 0; i < _parameterTable.Count; i++)
        {
            if (_frozen[i])
            {
                group.AsSpan(_parameterTable[i].Offset, _parameterTable[i].Length).Fill(Frozen);
            }
        }

        var runs = new[] { new List<int>(), new List<int>(), new List<int>() };
        for (int start = 0; start < group.Length;)
        {
            int end = start + 1;
            while (end < group.Length && group[end] == group[start])
            {
                end++;
            }

            runs[group[start]].Add(start);
            runs[group[start]].Add(end - start);
            start = end;
        }

        _activeRanges = [.. runs[Decay]];
        _noDecayRanges = [.. runs[NoDecay]];
        _frozenRanges = [.. runs[Frozen]];
        _partial = _frozenRanges.Length > 0 || _noDecayRanges.Length > 0;
    }

    /// <summary>The first index of the largest value (the predicted class of a logits row).</summary>
    /// <param name="row">The values.</param>
    /// <returns>The argmax; the first one on ties.</returns>
    protected static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int c = 1; c < row.Length; c++)
        {
            if (row[c] > row[best])
            {
                best = c;
            }
        }

        return best;
    }

    /// <summary>
    /// Writes a checkpoint to <paramref name="path"/> atomically: every parameter (and state buffer) under its PyTorch
    /// name, the optimizer state and the training position (steps, dropout seed), so <see cref="LoadCheckpoint"/>
    /// resumes the run bit for bit.
    /// </summary>
    /// <param name="path">The safetensors file to write.</param>
    public void SaveCheckpoint(string path)
    {
        float[] block = new float[_parameters.Length + StateLength];
        _parameters.Span.CopyTo(block);
        _state?.Span.Slice(0, StateLength).CopyTo(block.AsSpan(_parameters.Length));
        Checkpoint.Save(path, Layout(), block, _optimizer.GetType().Name, _optimizerState.Span.Slice(0, _stateLength).ToArray(),
            new TrainingPosition(Steps, DropoutSeed, (ulong)(Steps * _maskBytesPerStep)));
    }

    /// <summary>
    /// Restores a checkpoint written by <see cref="SaveCheckpoint"/> with the same optimizer type: parameters, state
    /// buffers, optimizer state, <see cref="Steps"/> and the dropout seed. Names, shapes, optimizer and state length are
    /// checked before anything is overwritten.
    /// </summary>
    /// <param name="path">The safetensors file to read.</param>
    public void LoadCheckpoint(string path)
    {
        float[] block = new float[_parameters.Length + StateLength];
        TrainingPosition position = Checkpoint.Load(path, Layout(), block, _optimizer.GetType().Name, _optimizerState.Span.Slice(0, _stateLength));
        block.AsSpan(0, _parameters.Length).CopyTo(_parameters.Span);
        if (_state is not null)
        {
            block.AsSpan(_parameters.Length, StateLength).CopyTo(_state.Span);
        }

        Steps = position.Step;
        DropoutSeed = position.Seed;
    }

    /// <summary>
    /// Non-strict load for transfer learning: loads every parameter and state buffer of the model that
    /// <paramref name="path"/> (a parameter file, a checkpoint of another model, a PyTorch state dict) holds under the same name
    /// and shape, leaves the others as they are, and reports what was loaded and what was skipped and why (see
    /// <see cref="ParameterFile.LoadMatching"/>). The optimizer state, <see cref="Steps"/> and the seed are not touched.
    /// </summary>
    /// <param name="path">The safetensors file to read.</param>
    /// <returns>The loaded names and the skipped tensors with their reasons.</returns>
    public LoadReport LoadMatchingParameters(string path)
    {
        float[] block = new float[_parameters.Length + StateLength];
        _parameters.Span.CopyTo(block);
        _state?.Span.Slice(0, StateLength).CopyTo(block.AsSpan(_parameters.Length));
        LoadReport report = ParameterFile.LoadMatching(path, Layout(), block);
        block.AsSpan(0, _parameters.Length).CopyTo(_parameters.Span);
        if (_state is not null)
        {
            block.AsSpan(_parameters.Length, StateLength).CopyTo(_state.Span);
        }

        return report;
    }

    /// <summary>Frees the gradients, the optimizer state and the worker pool (the model stays usable).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees what the trainer owns; subclasses free their arenas and call this.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        _disposed = true;
        _gradients.Dispose();
        _optimizerState.Dispose();
        if (_ownsPool)
        {
            Pool.Dispose();
        }
    }

    /// <summary>The message prefix of this trainer's errors: <c>{Model}.Trainer</c>.</summary>
    protected string Name => _modelName + ".Trainer";

    private int StateLength => _state is null || _stateTable.Count == 0 ? 0 : _stateTable.Max(entry => entry.Offset + entry.Length);

    private List<ParameterInfo> Layout()
    {
        var layout = new List<ParameterInfo>(_parameterTable.Count + _stateTable.Count);
        foreach (ParameterEntry entry in _parameterTable)
        {
            layout.Add(new ParameterInfo(entry.Name, entry.Offset, [.. entry.Shape]));
        }

        if (StateLength > 0)
        {
            foreach (ParameterEntry entry in _stateTable)
            {
                layout.Add(new ParameterInfo(entry.Name, _parameters.Length + entry.Offset, [.. entry.Shape]));
            }
        }

        return layout;
    }
}
