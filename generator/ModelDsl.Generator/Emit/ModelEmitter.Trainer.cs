using System.Collections.Generic;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// <c>{Model}.Trainer.g.cs</c>: <c>CreateTrainer</c> and the nested <c>Trainer</c> (gradient block, optimizer
/// state, activation arenas, worker pool; <c>Step</c>, <c>ComputeGradients</c>, <c>Evaluate</c>, <c>Logits</c> and
/// <c>Predict</c> for cross-entropy heads or <c>Predictions</c> for MSE heads, checkpoints). The forward and backward
/// bodies come from <see cref="TrainingEmitter"/>.
/// </summary>
internal sealed partial class ModelEmitter
{
    private const string Runtime = "global::ModelDsl.";

    private string EmitTrainer() => File(WriteTrainer, withRemarks: false);

    private void WriteTrainer(SourceWriter writer)
    {
        TrainingEmitter training = _training!;
        string model = _plan.ClassName;
        string maxBatch = Literals.Int(_plan.MaxBatch);
        TargetPlan target = training.Target;
        long classes = target.Width;
        bool regression = target.Kind == Parsing.LossKind.Mse;
        bool batchNorm = training.HasBatchNorm;

        writer.Line("/// <summary>");
        writer.Line("/// Creates a trainer for this model: it owns the gradients, the optimizer state, the activation arenas and the");
        writer.Line("/// worker pool, and updates this model's <see cref=\"Parameters\"/> in place. Dispose it when done.");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"optimizer\">The update rule (its LearningRate is used when <paramref name=\"schedule\"/> is null).</param>");
        writer.Line("/// <param name=\"threads\">Worker threads for the kernels (1 = serial, no pool).</param>");
        writer.Line("/// <param name=\"schedule\">Learning rate per step, or null for the optimizer's constant rate.</param>");
        writer.Line("/// <param name=\"clipNorm\">Clip the gradients to this global L2 norm before each update (0 = no clipping).</param>");
        writer.Line("/// <param name=\"dropoutSeed\">Seed of the dropout masks (each site has its own stream; the counter advances every optimizer step).</param>");
        writer.Line("/// <returns>A new trainer bound to this model.</returns>");
        writer.Line("public Trainer CreateTrainer(" + Runtime + "Optim.Optimizer optimizer, int threads = 1, " + Runtime + "Optim.LearningRateSchedule? schedule = null, float clipNorm = 0f, ulong dropoutSeed = 0)");
        writer.Indent().Line("=> new Trainer(this, optimizer, threads, schedule, clipNorm, dropoutSeed);").Unindent();
        writer.Line();
        writer.Line("/// <summary>");
        writer.Line("/// Trains and evaluates a <see cref=\"" + model + "\"/> on <see cref=\"Batch\"/>es: generated forward and backward passes over");
        writer.Line("/// the runtime kernels, no allocation per step after the first, the same bits for the same seed, batches and threads.");
        writer.Line("/// </summary>");
        writer.Line("/// <remarks>");
        bool features = training.DenseInputs.Count > 0;
        foreach (TrainingEmitter.Sequence sequence in training.Sequences)
        {
            features |= sequence.Features is not null;
        }

        writer.Line(features
            ? "/// <para>Each step runs on the batch's <c>Count</c> rows and, per sequence input, its longest row <c>T</c> (ids or feature vectors are packed to <c>[B, T]</c>); feature inputs are copied into the arena and get no gradient.</para>"
            : "/// <para>Each step runs on the batch's <c>Count</c> rows and, per token input, its longest row <c>T</c> (ids are packed to <c>[B, T]</c>).</para>");
        writer.Line("/// <para>Dropout (<c>[Dropout]</c> layers; in the stacks on the attention probabilities, after each sublayer and on the FFN");
        writer.Line("/// activation; in <c>[MultiHeadAttention(Dropout = p)]</c> on the probabilities) is applied by <see cref=\"Step\"/> and <see cref=\"ComputeGradients\"/> while <see cref=\"global::ModelDsl.Training.TrainerBase.DropoutEnabled\"/>; its masks");
        writer.Line("/// depend on the seed and <see cref=\"global::ModelDsl.Training.TrainerBase.Steps\"/> only. <see cref=\"Evaluate\"/> never drops.</para>");
        if (batchNorm)
        {
            writer.Line("/// <para>BatchNorm: <see cref=\"Step\"/> and <see cref=\"ComputeGradients\"/> normalize with the batch statistics (at least 2 rows or valid positions)");
            writer.Line("/// and, like a PyTorch forward in training mode, update the running statistics in the model's <c>State</c> once per call (so once per");
            writer.Line("/// <see cref=\"Step\"/>); <see cref=\"Evaluate\"/> normalizes with the running statistics and leaves them unchanged.</para>");
        }
        writer.Line("/// </remarks>");
        writer.Line(GeneratedCode);
        writer.Open("public sealed class Trainer : " + Runtime + "Training.TrainerBase");
        writer.Line("/// <summary>Floats in the trainer's activation arena (and in its gradient arena) at MaxBatch and the inputs' maximum lengths.</summary>");
        writer.Line("public const int ArenaLength = " + Literals.Int(training.ArenaLength) + ";");
        writer.Line();
        writer.Line("private readonly " + Identifiers.Escape(model) + " __model;");
        writer.Line("internal readonly " + Runtime + "Memory.AlignedBlock __activations;");
        writer.Line("private readonly " + Runtime + "Memory.AlignedBlock __activationGradients;");
        writer.Line("private readonly " + Runtime + "Memory.AlignedBlock __scratch;");
        foreach (TrainingEmitter.Sequence sequence in training.Sequences)
        {
            if (sequence.IdsArray is { } ids)
            {
                writer.Line("private readonly int[] " + ids + " = new int[" + Literals.Int(_plan.MaxBatch * sequence.MaxLength) + "];");
            }

            if (sequence.AdjacencyArray is { } adjacency)
            {
                writer.Line("private readonly bool[] " + adjacency + " = new bool[" + Literals.Int(_plan.MaxBatch * sequence.MaxLength * sequence.MaxLength) + "];");
            }
        }

        if (!regression && training.LabelSequence is { } labelSequence)
        {
            writer.Line("private readonly int[] __labels = new int[" + Literals.Int(_plan.MaxBatch * labelSequence.MaxLength) + "];");
        }

        foreach ((string field, long positions, long width) in training.SinusoidTables)
        {
            writer.Line("internal readonly float[] " + field + " = new float[" + Literals.Int(positions * width) + "];");
        }

        foreach ((string field, string _) in training.RecurrentSaved)
        {
            writer.Line("private readonly " + Runtime + "Memory.AlignedBlock " + field + ";");
        }

        foreach ((string field, string value) in training.RecurrentConfigs)
        {
            writer.Line("internal static readonly " + Runtime + "Kernels.RecurrentDecoderConfig " + field + " = " + value + ";");
        }

        writer.Line("private readonly byte[] __masks = new byte[" + Literals.Int(training.MaskLength) + "];");
        writer.Line("private bool __training;");
        writer.Line("private bool __disposed;");
        if (batchNorm)
        {
            writer.Line("private bool __batchStatistics;");
        }

        writer.Line("internal int __b;");
        foreach (TrainingEmitter.Sequence sequence in training.Sequences)
        {
            writer.Line("internal int " + sequence.Field + ";");
        }

        writer.Line("private int __rows;");
        writer.Line();

        writer.Line("internal Trainer(" + Identifiers.Escape(model) + " model, " + Runtime + "Optim.Optimizer optimizer, int threads, " + Runtime + "Optim.LearningRateSchedule? schedule, float clipNorm, ulong dropoutSeed)");
        writer.Indent().Line(": base(" + Literals.String(model) + ", model.__parameters, ParameterTable, model.__state, StateTable, optimizer, threads, schedule, clipNorm, dropoutSeed, " + Literals.Int(training.MaskLength) + ")").Unindent();
        writer.Open();
        writer.Line("__model = model;");
        writer.Line("__activations = new " + Runtime + "Memory.AlignedBlock(ArenaLength);");
        writer.Line("__activationGradients = new " + Runtime + "Memory.AlignedBlock(ArenaLength);");
        string scratch = Literals.Int(training.LinearScratch);
        var attentionShapes = new HashSet<(long, long)>();
        foreach ((TrainingEmitter.Sequence query, TrainingEmitter.Sequence key) in training.AttentionShapes)
        {
            if (attentionShapes.Add((query.MaxLength, key.MaxLength)))
            {
                scratch = "global::System.Math.Max(" + scratch + ", " + Runtime + "Kernels.Attention.ScratchLength(" + Literals.Int(query.MaxLength) + ", " + Literals.Int(key.MaxLength) + ", Pool.ThreadCount))";
            }
        }

        foreach (string term in training.ScratchTerms)
        {
            scratch = "global::System.Math.Max(" + scratch + ", " + term + ")";
        }

        writer.Line("__scratch = new " + Runtime + "Memory.AlignedBlock(" + scratch + ");");
        foreach ((string field, string size) in training.RecurrentSaved)
        {
            writer.Line(field + " = new " + Runtime + "Memory.AlignedBlock(" + size + ");");
        }

        foreach ((string field, long positions, long width) in training.SinusoidTables)
        {
            writer.Line(Runtime + "Kernels.SinusoidalPositions.Fill(" + field + ", " + Literals.Int(positions) + ", " + Literals.Int(width) + ");");
        }

        writer.Close();
        writer.Line();

        writer.Line("/// <summary>The model this trainer updates.</summary>");
        writer.Line("public " + Identifiers.Escape(model) + " Model => __model;");
        writer.Line();
        if (regression)
        {
            writer.Line("/// <summary>Predictions (the output of " + target.Layer + ") of the last forward pass, <c>[B, " + Literals.Int(classes) + "]</c>" + (target.PerPosition ? " per position (<c>[B, T, " + Literals.Int(classes) + "]</c> with <c>T</c> the batch's longest row; padded positions are not meaningful)" : string.Empty) + ", row-major.</summary>");
            writer.Line("public global::System.ReadOnlySpan<float> Predictions => __activations.Span.Slice(" + Literals.Int(training.LogitsOffset) + ", __rows * " + Literals.Int(classes) + ");");
        }
        else
        {
            writer.Line("/// <summary>Logits of the last forward pass, <c>[B, " + Literals.Int(classes) + "]</c>" + (target.PerPosition ? " per position (<c>[B, T, " + Literals.Int(classes) + "]</c>)" : string.Empty) + ", row-major.</summary>");
            writer.Line("public global::System.ReadOnlySpan<float> Logits => __activations.Span.Slice(" + Literals.Int(training.LogitsOffset) + ", __rows * " + Literals.Int(classes) + ");");
        }

        writer.Line();
        writer.Line("/// <summary>One training step: zero the gradients, forward, backward, optional clipping, optimizer update.</summary>");
        writer.Line("/// <param name=\"batch\">The batch (its <c>Count</c> rows are used).</param>");
        writer.Line("/// <returns>The mean loss of the batch before the update.</returns>");
        writer.Open("public float Step(Batch batch)");
        writer.Line("float loss = ComputeGradients(batch);");
        writer.Line("Update();");
        writer.Line("return loss;");
        writer.Close();
        writer.Line();
        writer.Line("/// <summary>Forward and backward without an update: <see cref=\"global::ModelDsl.Training.TrainerBase.Gradients\"/> holds d loss / d parameters afterwards.</summary>");
        writer.Line("/// <param name=\"batch\">The batch (its <c>Count</c> rows are used).</param>");
        writer.Line("/// <returns>The mean loss of the batch.</returns>");
        writer.Open("public float ComputeGradients(Batch batch)");
        writer.Line("Gradients.Span.Clear();");
        if (_decoding is not null)
        {
            writer.Line("float sampling = ScheduledSampling is null ? 0f : ScheduledSampling(Steps + 1);");
            writer.Open("if (!(sampling >= 0f && sampling <= 1f))");
            writer.Line("throw new global::System.InvalidOperationException($\"" + model + ".Trainer.ScheduledSampling gave {sampling} for step {Steps + 1}; a probability must be in [0, 1].\");");
            writer.Close();
            writer.Line();
            writer.Line("float loss;");
            writer.Open("if (sampling > 0f)");
            writer.Line("__Forward(batch, false" + Statistics(false) + ");");
            writer.Line("__SampleInputs(sampling);");
            writer.Line("loss = __Forward(batch, DropoutEnabled" + Statistics(true) + ", prepared: true);");
            writer.Close();
            writer.Open("else");
            writer.Line("loss = __Forward(batch, DropoutEnabled" + Statistics(true) + ");");
            writer.Close();
            writer.Line();
        }
        else
        {
            writer.Line("float loss = __Forward(batch, DropoutEnabled" + Statistics(true) + ");");
        }

        writer.Line("__Backward(batch);");
        writer.Line("return loss;");
        writer.Close();
        writer.Line();
        writer.Line("/// <summary>Forward pass and loss only (no gradients, no update" + (batchNorm ? ", running statistics used and unchanged" : string.Empty) + "); fills <see cref=\"" + (regression ? "Predictions" : "Logits") + "\"/>.</summary>");
        writer.Line("/// <param name=\"batch\">The batch (its <c>Count</c> rows are used).</param>");
        writer.Line("/// <returns>The mean loss of the batch.</returns>");
        writer.Line("public float Evaluate(Batch batch) => __Forward(batch, false" + Statistics(false) + ");");
        writer.Line();
        if (!regression)
        {
            writer.Line("/// <summary>The most likely class of logits row <paramref name=\"row\"/> of the last forward pass" + (target.PerPosition ? " (rows are positions: <c>b * T + t</c>)" : string.Empty) + ".</summary>");
            writer.Line("/// <param name=\"row\">Row of <see cref=\"Logits\"/>.</param>");
            writer.Line("/// <returns>The argmax class (the first on ties).</returns>");
            writer.Open("public int Predict(int row)");
            writer.Open("if ((uint)row >= (uint)__rows)");
            writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(row), row, $\"" + model + ".Trainer.Predict: row {row} must be in [0, {__rows}) (the rows of the last forward pass).\");");
            writer.Close();
            writer.Line();
            writer.Line("return ArgMax(Logits.Slice(row * " + Literals.Int(classes) + ", " + Literals.Int(classes) + "));");
            writer.Close();
            writer.Line();
        }

        if (_decoding is not null)
        {
            WriteScheduledSampling(writer, training, _decoding);
        }

        writer.Line("/// <inheritdoc/>");
        writer.Open("protected override void Dispose(bool disposing)");
        writer.Open("if (disposing && !__disposed)");
        writer.Line("__disposed = true;");
        writer.Line("__activations.Dispose();");
        writer.Line("__activationGradients.Dispose();");
        writer.Line("__scratch.Dispose();");
        foreach ((string field, string _) in training.RecurrentSaved)
        {
            writer.Line(field + ".Dispose();");
        }

        writer.Close();
        writer.Line();
        writer.Line("base.Dispose(disposing);");
        writer.Close();
        writer.Line();

        // Packs each sequence input's ids or features (stride MaxLength) into [B, T] with T its longest row (and the labels,
        // targets, adjacency alike); copies each dense feature input into the arena.
        writer.Open("private void __Prepare(Batch batch)");
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(batch);");
        writer.Line("int B = batch.Count;");
        writer.Open("if (B == 0)");
        writer.Line("throw new global::System.ArgumentException(" + Literals.String(model + ".Trainer: the batch is empty; fill rows and set Count.") + ", nameof(batch));");
        writer.Close();
        writer.Line();
        writer.Line("__b = B;");
        WriteDenseInputs(writer, training);
        foreach (TrainingEmitter.Sequence sequence in training.Sequences)
        {
            WritePrepare(writer, training, sequence);
        }

        writer.Close();
        writer.Line();

        writer.Line("/// <summary>Forward pass over the batch (dropout when <paramref name=\"training\"/>" + (batchNorm ? "; BatchNorm with batch statistics, updating the running ones, when <paramref name=\"batchStatistics\"/>" : string.Empty) + "); returns the mean loss.</summary>");
        writer.Open("private float __Forward(Batch batch, bool training, " + (batchNorm ? "bool batchStatistics, " : string.Empty) + "bool prepared = false)");
        writer.Open("if (!prepared)");
        writer.Line("__Prepare(batch);");
        writer.Close();
        writer.Line();
        writer.Line("__training = training;");
        if (batchNorm)
        {
            writer.Line("__batchStatistics = batchStatistics;");
        }

        writer.Line("ulong __dropoutOffset = (ulong)Steps * " + Literals.Int(training.MaskLength) + "UL;");
        writer.Line("int B = __b;");
        foreach (TrainingEmitter.Sequence sequence in training.Sequences)
        {
            writer.Line("int " + sequence.T + " = " + sequence.Field + ";");
            writer.Line("int " + sequence.BT + " = B * " + sequence.T + ";");
        }

        writer.Line("global::System.Span<float> p = __model.__parameters.Span;");
        if (batchNorm)
        {
            writer.Line("global::System.Span<float> s = __model.__state.Span;");
        }

        writer.Line("global::System.Span<float> a = __activations.Span;");
        WriteLines(writer, training.Forward);
        writer.Close();
        writer.Line();

        writer.Line("/// <summary>Backward pass of the last forward: accumulates into the (zeroed) gradients, the forward in reverse.</summary>");
        writer.Open("private void __Backward(Batch batch)");
        writer.Line("int B = __b;");
        foreach (TrainingEmitter.Sequence sequence in training.Sequences)
        {
            writer.Line("int " + sequence.T + " = " + sequence.Field + ";");
            writer.Line("int " + sequence.BT + " = B * " + sequence.T + ";");
        }

        writer.Line("global::System.Span<float> p = __model.__parameters.Span;");
        writer.Line("global::System.Span<float> g = Gradients.Span;");
        writer.Line("global::System.Span<float> a = __activations.Span;");
        writer.Line("global::System.Span<float> d = __activationGradients.Span;");
        writer.Line("bool training = __training;");
        if (batchNorm)
        {
            writer.Line("bool batchStatistics = __batchStatistics;");
        }

        writer.Line("d.Clear();");
        IReadOnlyList<List<string>> backward = training.Backward;
        for (int i = backward.Count - 1; i >= 0; i--)
        {
            WriteLines(writer, backward[i]);
        }

        writer.Close();
        if (training.UsesPacking)
        {
            WritePacking(writer);
        }

        if (_decoding is not null)
        {
            WriteEncode(writer, training, _decoding);
        }

        writer.Close();
    }

    /// <summary>
    /// <c>Trainer.__Encode</c>: the forward lines of the layers that do not read the decoded (target) input, over the
    /// batch's other inputs only, with dropout off. The <see cref="DecodingPlan"/>'s StepDecoder reads the memory it leaves in the arena.
    /// </summary>
    private void WriteEncode(SourceWriter writer, TrainingEmitter training, DecodingPlan decoding)
    {
        writer.Line();
        writer.Line("/// <summary>Runs the layers that do not read the decoded input (the encoder) on the batch's other inputs, dropout off.</summary>");
        writer.Open("internal void __Encode(Batch batch)");
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(batch);");
        writer.Line("int B = batch.Count;");
        writer.Open("if (B == 0)");
        writer.Line("throw new global::System.ArgumentException(" + Literals.String(_plan.ClassName + ".StepDecoder: the batch is empty; fill the source rows and set Count.") + ", nameof(batch));");
        writer.Close();
        writer.Line();
        writer.Line("__b = B;");
        WriteDenseInputs(writer, training);
        foreach (TrainingEmitter.Sequence sequence in training.Sequences)
        {
            if (sequence != training.TargetSequence)
            {
                WritePrepare(writer, training, sequence);
            }
        }

        if (decoding.EncoderLines.Count == 0)
        {
            writer.Close();
            return;
        }

        writer.Line();
        writer.Open(); // its own scope: the lengths below reuse the names the blocks above declared
        bool dropout = false;
        bool batchNorm = false;
        foreach (string line in decoding.EncoderLines)
        {
            dropout |= line.Contains("__dropoutOffset");
            batchNorm |= line.Contains("batchStatistics");
        }

        if (dropout)
        {
            writer.Line("bool training = false;");
            writer.Line("ulong __dropoutOffset = 0UL;");
        }

        if (batchNorm)
        {
            writer.Line("bool batchStatistics = false; // evaluation: the running statistics, unchanged");
        }

        foreach (TrainingEmitter.Sequence sequence in training.Sequences)
        {
            if (sequence != training.TargetSequence)
            {
                writer.Line("int " + sequence.T + " = " + sequence.Field + ";");
                writer.Line("int " + sequence.BT + " = B * " + sequence.T + ";");
            }
        }

        writer.Line("global::System.Span<float> p = __model.__parameters.Span;");
        if (batchNorm)
        {
            writer.Line("global::System.Span<float> s = __model.__state.Span;");
        }

        writer.Line("global::System.Span<float> a = __activations.Span;");
        WriteLines(writer, decoding.EncoderLines);
        writer.Close();
        writer.Close();
    }

    /// <summary>
    /// Scheduled sampling (Bengio et al. 2015) in its parallel form (Duckworth et al. 2019): a teacher-forced forward
    /// without dropout predicts every position; each decoder input after the first is then replaced, with the step's
    /// probability, by the prediction for the position before it, and the step trains on the mixed inputs (labels unchanged).
    /// </summary>
    private void WriteScheduledSampling(SourceWriter writer, TrainingEmitter training, DecodingPlan decoding)
    {
        TrainingEmitter.Sequence target = decoding.Target;
        long classes = training.Target.Width;
        string C = Literals.Int(classes);
        writer.Line("/// <summary>");
        writer.Line("/// Scheduled sampling: the probability, for optimizer step <c>s</c> (1-based), of feeding the model's own prediction instead of");
        writer.Line("/// the given token at each position of <c>" + target.Input.Name + "</c> after the first (Bengio et al. 2015, in the parallel two-pass form of");
        writer.Line("/// Duckworth et al. 2019: a teacher-forced pass predicts every position, then the step trains on the mixed inputs). Null = pure teacher forcing.");
        writer.Line("/// The draws depend on the dropout seed and the step only.");
        writer.Line("/// </summary>");
        writer.Line("public global::System.Func<long, float>? ScheduledSampling { get; set; }");
        writer.Line();
        writer.Open("private void __SampleInputs(float probability)");
        writer.Line("int B = __b;");
        writer.Line("int T = " + target.Field + ";");
        writer.Line("global::System.ReadOnlySpan<float> logits = __activations.Span.Slice(" + Literals.Int(training.LogitsOffset) + ", B * T * " + C + ");");
        writer.Line("ulong counter = (ulong)Steps * " + Literals.Int(_plan.MaxBatch * target.MaxLength) + "UL;");
        writer.Open("for (int b = 0; b < B; b++)");
        writer.Open("for (int t = 1; t < T; t++)");
        writer.Open("if (" + Runtime + "Randomness.CounterRandom.Uniform(DropoutSeed, 0xC0FFEEUL, counter + (ulong)((b * T) + t)) >= probability)");
        writer.Line("continue;");
        writer.Close();
        writer.Line();
        writer.Line("global::System.ReadOnlySpan<float> row = logits.Slice(((b * T) + t - 1) * " + C + ", " + C + ");");
        writer.Line("int best = 0;");
        writer.Open("for (int c = 1; c < row.Length; c++)");
        writer.Open("if (row[c] > row[best])");
        writer.Line("best = c;");
        writer.Close();
        writer.Close();
        writer.Line();
        writer.Line(target.IdsArray + "[(b * T) + t] = best;");
        writer.Close();
        writer.Close();
        writer.Close();
        writer.Line();
    }

    /// <summary>Checks one sequence input's lengths, packs its ids or features (and labels, adjacency) to its longest row and stores that length.</summary>
    private void WritePrepare(SourceWriter writer, TrainingEmitter training, TrainingEmitter.Sequence sequence)
    {
        string model = _plan.ClassName;
        TargetPlan target = training.Target;
        string name = sequence.Input.Name;
        string max = Literals.Int(sequence.MaxLength);
        string T = sequence.T;
        string AsSpan = "global::System.MemoryExtensions.AsSpan(";
        writer.Open();
        writer.Line("int " + T + " = 0;");
        writer.Open("for (int b = 0; b < B; b++)");
        writer.Line("int length = batch." + Identifiers.Escape(name + "Lengths") + "[b];");
        writer.Open("if (length < 1 || length > " + max + ")");
        writer.Line("throw new global::System.ArgumentException($\"" + model + ".Batch." + name + ": row {b} has length {length}; every row below Count needs 1 to " + max + (sequence.Features is null ? " ids" : " positions") + ".\", nameof(batch));");
        writer.Close();
        writer.Line();
        writer.Line(T + " = length > " + T + " ? length : " + T + ";");
        writer.Close();
        writer.Line();
        writer.Open("for (int b = 0; b < B; b++)");
        if (sequence.Features is { } features)
        {
            string n = Literals.Int(sequence.Input.Features);
            writer.Line(AsSpan + "batch." + Identifiers.Escape(name) + ", b * " + Literals.Int(sequence.MaxLength * sequence.Input.Features) + ", " + T + " * " + n + ").CopyTo(__activations.Span.Slice(" + (features.Offset == 0 ? string.Empty : Literals.Int(features.Offset) + " + ") + "(b * " + T + " * " + n + "), " + T + " * " + n + "));");
        }
        else
        {
            writer.Line(AsSpan + "batch." + Identifiers.Escape(name) + ", b * " + max + ", " + T + ").CopyTo(" + AsSpan + sequence.IdsArray + ", b * " + T + ", " + T + "));");
        }

        if (training.LabelSequence == sequence && target.Kind == Parsing.LossKind.CrossEntropy)
        {
            writer.Line(AsSpan + "batch.Labels, b * " + Literals.Int(target.MaxLength) + ", " + T + ").CopyTo(" + AsSpan + "__labels, b * " + T + ", " + T + "));");
        }

        if (sequence.AdjacencyArray is { } adjacency)
        {
            writer.Open("for (int i = 0; i < " + T + "; i++)");
            writer.Line(AsSpan + "batch." + Identifiers.Escape(name + "Adjacency") + ", ((b * " + max + ") + i) * " + max + ", " + T + ").CopyTo(" + AsSpan + adjacency + ", ((b * " + T + ") + i) * " + T + ", " + T + "));");
            writer.Close();
        }

        writer.Close();
        writer.Line();
        writer.Line(sequence.Field + " = " + T + ";");
        writer.Close();
    }

    /// <summary>Copies each dense feature input <c>[B, N]</c> from the batch into its arena buffer.</summary>
    private static void WriteDenseInputs(SourceWriter writer, TrainingEmitter training)
    {
        foreach ((InputPlan input, TrainingEmitter.Buffer buffer) in training.DenseInputs)
        {
            string length = "B * " + Literals.Int(input.Features);
            writer.Line("global::System.MemoryExtensions.AsSpan(batch." + Identifiers.Escape(input.Name) + ", 0, " + length + ").CopyTo(__activations.Span.Slice(" + Literals.Int(buffer.Offset) + ", " + length + ")); // " + input.Name + " [B, " + Literals.Int(input.Features) + "]");
        }
    }

    /// <summary>The <c>batchStatistics</c> argument of a <c>__Forward</c> call (models with a [BatchNorm] only).</summary>
    private string Statistics(bool value) => _training!.HasBatchNorm ? ", batchStatistics: " + (value ? "true" : "false") : string.Empty;

    /// <summary>
    /// Helpers for the layers that work on the valid positions of a sequence only (BatchNorm statistics, the per-position MSE):
    /// <c>__Pack</c> gathers the first <c>lengths[b]</c> positions of each row into consecutive rows, <c>__Unpack</c> and
    /// <c>__UnpackAdd</c> put them back (padded positions zeroed, resp. untouched).
    /// </summary>
    private static void WritePacking(SourceWriter writer)
    {
        const string Span = "global::System.Span<float>";
        const string ReadOnly = "global::System.ReadOnlySpan<float>";
        const string Lengths = "global::System.ReadOnlySpan<int> lengths";
        writer.Line();
        writer.Line("/// <summary>The valid positions of a batch: the sum of its rows' lengths.</summary>");
        writer.Open("private static int __Positions(" + Lengths + ", int B)");
        writer.Line("int n = 0;");
        writer.Open("for (int b = 0; b < B; b++)");
        writer.Line("n += lengths[b];");
        writer.Close();
        writer.Line();
        writer.Line("return n;");
        writer.Close();
        writer.Line();
        writer.Line("/// <summary>Gathers the first <c>lengths[b]</c> positions of each row of <paramref name=\"source\"/> <c>[B, stride, width]</c> into consecutive rows of <paramref name=\"packed\"/>.</summary>");
        writer.Open("private static void __Pack(" + Span + " packed, " + ReadOnly + " source, int stride, " + Lengths + ", int B, int width)");
        writer.Line("int at = 0;");
        writer.Open("for (int b = 0; b < B; b++)");
        writer.Line("int count = lengths[b] * width;");
        writer.Line("source.Slice(b * stride * width, count).CopyTo(packed.Slice(at, count));");
        writer.Line("at += count;");
        writer.Close();
        writer.Close();
        writer.Line();
        writer.Line("/// <summary>The inverse of <see cref=\"__Pack\"/>: writes the packed rows back to <paramref name=\"destination\"/> <c>[B, stride, width]</c> and zeroes the padded positions.</summary>");
        writer.Open("private static void __Unpack(" + Span + " destination, " + ReadOnly + " packed, int stride, " + Lengths + ", int B, int width)");
        writer.Line("int at = 0;");
        writer.Open("for (int b = 0; b < B; b++)");
        writer.Line("int count = lengths[b] * width;");
        writer.Line(Span + " row = destination.Slice(b * stride * width, stride * width);");
        writer.Line("packed.Slice(at, count).CopyTo(row);");
        writer.Line("row.Slice(count).Clear();");
        writer.Line("at += count;");
        writer.Close();
        writer.Close();
        writer.Line();
        writer.Line("/// <summary>Adds the packed rows into their positions of <paramref name=\"destination\"/> <c>[B, stride, width]</c> (the backward of <see cref=\"__Pack\"/>).</summary>");
        writer.Open("private static void __UnpackAdd(" + Span + " destination, " + ReadOnly + " packed, int stride, " + Lengths + ", int B, int width)");
        writer.Line("int at = 0;");
        writer.Open("for (int b = 0; b < B; b++)");
        writer.Line(Span + " row = destination.Slice(b * stride * width, lengths[b] * width);");
        writer.Open("for (int i = 0; i < row.Length; i++)");
        writer.Line("row[i] += packed[at + i];");
        writer.Close();
        writer.Line();
        writer.Line("at += row.Length;");
        writer.Close();
        writer.Close();
    }

    private static void WriteLines(SourceWriter writer, IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            writer.Line(line);
        }
    }
}
