using System;
using System.Collections.Generic;
using System.Linq;
using ModelDsl.Optim;

namespace ModelDsl.Training;

/// <summary>A parameter group of <see cref="TrainerBase.SetParameterGroup"/>: a member's own learning-rate scale and weight decay.</summary>
/// <param name="Member">The member's name or state-dict prefix, as given.</param>
/// <param name="LearningRateScale">The group's rate is the trainer's rate of the step (schedule or constant) times this.</param>
/// <param name="WeightDecay">The group's weight decay, or null for the optimizer's.</param>
/// <param name="Parameters">The state-dict names of the tensors in the group (a later group naming the same tensors takes them).</param>
public sealed record ParameterGroup(string Member, float LearningRateScale, float? WeightDecay, IReadOnlyList<string> Parameters);

/// <summary>Parameter groups (PyTorch's <c>param_groups</c>), the rate multiplier, and the in-memory snapshot of the learning-rate finder.</summary>
public abstract partial class TrainerBase
{
    private readonly int[] _groupOf;
    private readonly List<(string Member, float Scale, float? WeightDecay)> _groups = [];
    private UpdateSet[] _sets = [];

    /// <summary>
    /// Multiplies the rate of every step, after the schedule (1 by default). <see cref="ReduceLearningRateOnPlateau"/> lowers it;
    /// set it yourself for a manual decay. It is a property of the trainer, not of the checkpoint.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, NaN or infinite.</exception>
    public double LearningRateMultiplier
    {
        get;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"{Name}: LearningRateMultiplier must be finite and zero or greater.");
            }

            field = value;
        }
    } = 1.0;

    /// <summary>The optimizer's own rate (the rate of every step without a schedule).</summary>
    internal float OptimizerLearningRate => _optimizer.LearningRate;

    /// <summary>When set, the base rate of every step (the learning-rate finder's sweep), instead of the schedule and multiplier.</summary>
    internal float? LearningRateOverride { get; set; }

    /// <summary>The groups set so far, in the order they were first set.</summary>
    public IReadOnlyList<ParameterGroup> ParameterGroups =>
        _groups.Select((group, g) => new ParameterGroup(group.Member, group.Scale, group.WeightDecay,
            _parameterTable.Where((_, i) => _groupOf[i] == g + 1).Select(entry => entry.Name).ToArray())).ToArray();

    /// <summary>
    /// Puts every parameter of a declared member in a parameter group with its own learning rate and weight decay, as PyTorch's
    /// <c>param_groups</c> (differential learning rates: a pretrained encoder at a tenth of the head's rate). The group's rate at
    /// each step is the trainer's rate (the schedule's, times <see cref="LearningRateMultiplier"/>) times
    /// <paramref name="learningRateScale"/>: PyTorch's group <c>lr = base_lr × scale</c> under a scheduler that multiplies every
    /// group's initial rate by the same factor (<c>LambdaLR</c>, <c>StepLR</c>, warmup and cosine to 0). Moments, betas and epsilon
    /// are the optimizer's; AdamW's decoupled decay uses the group's rate, as PyTorch's does. Combines with <see cref="Freeze"/>
    /// (frozen wins) and <see cref="ExcludeFromWeightDecay"/> (an excluded tensor of the group gets the group's rate and no decay).
    /// Calling it again for the same member replaces its group; a later group naming tensors of an earlier one takes them.
    /// Allocates; a step afterwards does not.
    /// </summary>
    /// <param name="member">The member's name, <c>nameof(Model.Encoder)</c>, or a state-dict prefix, as for <see cref="Freeze"/>.</param>
    /// <param name="learningRateScale">The group's rate relative to the trainer's, finite and zero or greater (1 = the same rate).</param>
    /// <param name="weightDecay">The group's weight decay (L2 or decoupled, as the optimizer applies it), or null for the optimizer's.</param>
    /// <exception cref="ArgumentException">No parameter belongs to <paramref name="member"/>; the message lists the members that have parameters.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A negative or non-finite scale or weight decay.</exception>
    /// <exception cref="NotSupportedException">The optimizer is a subclass from outside this library.</exception>
    public void SetParameterGroup(string member, float learningRateScale = 1f, float? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(member);
        if (!(learningRateScale >= 0f) || !float.IsFinite(learningRateScale))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRateScale), learningRateScale, $"{Name}: the learning-rate scale of group '{member}' must be finite and zero or greater.");
        }

        if (weightDecay is float decay && (!(decay >= 0f) || !float.IsFinite(decay)))
        {
            throw new ArgumentOutOfRangeException(nameof(weightDecay), decay, $"{Name}: the weight decay of group '{member}' must be finite and zero or greater.");
        }

        if (_optimizer.WithWeightDecay(0f) is null || !_optimizer.UpdatesPartialBlocks)
        {
            throw new NotSupportedException($"{Name}: {_optimizer.GetType().Name} cannot update part of the parameters with its own settings, so '{member}' cannot have a parameter group.");
        }

        List<int> tensors = ParametersOf(member);
        int index = _groups.FindIndex(group => group.Member == member);
        if (index < 0)
        {
            _groups.Add((member, learningRateScale, weightDecay));
            index = _groups.Count - 1;
        }
        else
        {
            _groups[index] = (member, learningRateScale, weightDecay);
        }

        foreach (int i in tensors)
        {
            _groupOf[i] = index + 1;
        }

        ComputeRanges();
    }

    /// <summary>The tensors of <paramref name="member"/> (a member name or state-dict prefix); throws naming it when there are none.</summary>
    private List<int> ParametersOf(string member)
    {
        string prefix = MemberNames.StateDictPrefix(member);
        var indices = new List<int>();
        for (int i = 0; i < _parameterTable.Count; i++)
        {
            string name = _parameterTable[i].Name;
            if (prefix.Length > 0 && (name == prefix || name.StartsWith(prefix + ".", StringComparison.Ordinal)))
            {
                indices.Add(i);
            }
        }

        if (indices.Count == 0)
        {
            string members = string.Join(", ", _parameterTable.Select(entry => entry.Name.Split('.')[0]).Distinct(StringComparer.Ordinal));
            throw new ArgumentException(
                $"{Name}: '{member}' (state-dict prefix '{prefix}') names no parameters of {_modelName}. The members with parameters are: {members} (their state-dict prefixes; pass nameof(Member) or a prefix).",
                nameof(member));
        }

        return indices;
    }

    /// <summary>The base rate of step <paramref name="step"/>: the finder's override, or the schedule's (or optimizer's) times the multiplier.</summary>
    private float RateOfStep(long step)
    {
        if (LearningRateOverride is float forced)
        {
            return forced;
        }

        float rate = _schedule is null ? _optimizer.LearningRate : _schedule.At(step);
        return LearningRateMultiplier == 1.0 ? rate : (float)(rate * LearningRateMultiplier);
    }

    /// <summary>One optimizer update: the whole block at once, or each update set over its ranges at its own rate and decay.</summary>
    private void StepParameterGroups(float learningRate, long step)
    {
        Span<float> state = _optimizerState.Span.Slice(0, _stateLength);
        if (_sets.Length == 0)
        {
            _optimizer.Step(_parameters.Span, _gradients.Span, state, learningRate, step, Pool);
            return;
        }

        foreach (UpdateSet set in _sets)
        {
            float rate = set.Scale == 1f ? learningRate : learningRate * set.Scale;
            set.Optimizer.StepRanges(_parameters.Span, _gradients.Span, state, set.Ranges, rate, step, Pool);
        }
    }

    /// <summary>
    /// Splits the block into [start, count) runs: frozen (not updated), and one update set per (group, excluded from decay) pair
    /// present, the default set holding every other element (gaps between tensors included, as a whole-block step would).
    /// No set at all when nothing differs from the whole-block step.
    /// </summary>
    private void ComputeRanges()
    {
        const int Frozen = -1;
        var key = new int[_parameters.Length]; // group * 2 + (excluded from decay ? 1 : 0); 0 = the optimizer as given
        for (int i = 0; i < _parameterTable.Count; i++)
        {
            key.AsSpan(_parameterTable[i].Offset, _parameterTable[i].Length).Fill((_groupOf[i] * 2) + (_noDecay[i] ? 1 : 0));
        }

        for (int i = 0; i < _parameterTable.Count; i++)
        {
            if (_frozen[i])
            {
                key.AsSpan(_parameterTable[i].Offset, _parameterTable[i].Length).Fill(Frozen); // frozen wins, whatever else names the elements
            }
        }

        var runs = new SortedDictionary<int, List<int>>();
        for (int start = 0; start < key.Length;)
        {
            int end = start + 1;
            while (end < key.Length && key[end] == key[start])
            {
                end++;
            }

            if (!runs.TryGetValue(key[start], out List<int>? list))
            {
                runs[key[start]] = list = [];
            }

            list.Add(start);
            list.Add(end - start);
            start = end;
        }

        _frozenRanges = runs.TryGetValue(Frozen, out List<int>? frozen) ? [.. frozen] : [];
        bool partial = runs.Keys.Any(k => k != 0);
        _sets = !partial ? [] : [.. runs.Where(run => run.Key != Frozen).Select(run => CreateSet(run.Key, [.. run.Value]))];
    }

    private UpdateSet CreateSet(int key, int[] ranges)
    {
        int group = key / 2;
        bool noDecay = key % 2 == 1;
        float scale = group == 0 ? 1f : _groups[group - 1].Scale;
        float? decay = noDecay ? 0f : group == 0 ? null : _groups[group - 1].WeightDecay;
        Optimizer optimizer = decay is float d ? _optimizer.WithWeightDecay(d)! : _optimizer;
        return new UpdateSet(optimizer, scale, ranges);
    }

    /// <summary>Elements updated by one optimizer (the given one or a twin with another weight decay) at one rate scale.</summary>
    private sealed record UpdateSet(Optimizer Optimizer, float Scale, int[] Ranges);

    /// <summary>
    /// A copy of everything a step changes: parameters, state buffers (BatchNorm statistics), gradients, optimizer state, the step
    /// count, the dropout seed and the last rate. Taken and put back by the learning-rate finder.
    /// </summary>
    internal TrainerSnapshot CaptureSnapshot() => new(
        _parameters.Span.ToArray(), _state is null ? [] : _state.Span.ToArray(), _gradients.Span.ToArray(), _optimizerState.Span.ToArray(),
        Steps, DropoutSeed, LearningRate);

    /// <summary>Puts back a <see cref="CaptureSnapshot"/> of this trainer, bit for bit.</summary>
    internal void RestoreSnapshot(TrainerSnapshot snapshot)
    {
        snapshot.Parameters.CopyTo(_parameters.Span);
        snapshot.State.CopyTo(_state is null ? [] : _state.Span);
        snapshot.Gradients.CopyTo(_gradients.Span);
        snapshot.OptimizerState.CopyTo(_optimizerState.Span);
        Steps = snapshot.Steps;
        DropoutSeed = snapshot.DropoutSeed;
        LearningRate = snapshot.LearningRate;
    }

    /// <summary>What <see cref="CaptureSnapshot"/> copies.</summary>
    internal sealed record TrainerSnapshot(float[] Parameters, float[] State, float[] Gradients, float[] OptimizerState, long Steps, ulong DropoutSeed, float LearningRate);
}
