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
        bool regression = !target.Descriptor.IsClassifier;
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
        string interfaces = ", " + Runtime + "Training." + (!_training!.Target.Descriptor.IsClassifier ? "ITrainer<Batch>" : "IClassifierTrainer<Batch>");
        writer.Open("public sealed class Trainer : " + Runtime + "Training.TrainerBase" + interfaces);
        writer.Line("/// <summary>Floats in the trainer's activation arena (and in its gradient arena) at MaxBatch and the inputs' maximum lengths.</summary>");
        writer.Line("public const int ArenaLength = " + Literals.Int(training.ArenaLength) + ";");
        writer.Line();
        training.WriteArena(writer);
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

        foreach (TargetPlan loss in _plan.Losses)
        {
            if (loss.HasLabels && loss.PerPosition)
            {
                writer.Line("private readonly int[] " + TrainingEmitter.PackedLabelsOf(loss) + " = new int[" + Literals.Int(_plan.MaxBatch * loss.MaxLength) + "];");
            }
        }

        if (_plan.WeighsLosses)
        {
            writer.Line("private readonly float[] " + TrainingEmitter.LossValues + " = new float[" + Literals.Int(_plan.Losses.Count) + "];");
        }

        foreach (TrainingEmitter.TrainerTable table in training.Tables)
        {
            if (table.PublicSummary is { } summary)
            {
                writer.Line("/// <summary>" + summary + "</summary>");
                writer.Line("public float[] " + table.Field + " { get; } = new float[" + Literals.Int(table.Length) + "];");
                continue;
            }

            writer.Line("internal readonly float[] " + table.Field + " = new float[" + Literals.Int(table.Length) + "];");
        }

        foreach ((string field, string _) in training.SavedBlocks)
        {
            writer.Line("private readonly " + Runtime + "Memory.AlignedBlock " + field + ";");
        }

        foreach (TrainingEmitter.TrainerConstant constant in training.Constants)
        {
            writer.Line("internal static readonly " + constant.Type + " " + constant.Field + " = " + constant.Value + ";");
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
        foreach ((string field, string size) in training.SavedBlocks)
        {
            writer.Line(field + " = new " + Runtime + "Memory.AlignedBlock(" + size + ");");
        }

        foreach (TrainingEmitter.TrainerTable table in training.Tables)
        {
            writer.Line(table.Fill);
        }

        writer.Close();
        writer.Line();

        writer.Line("/// <summary>The model this trainer updates.</summary>");
        writer.Line("public " + Identifiers.Escape(model) + " Model => __model;");
        writer.Line();
        WriteTrainerApi(writer);
        WriteTrainerPasses(writer);
        writer.Close();
    }

    /// <summary>The trainer's public surface: outputs of the last forward, <c>Step</c>, <c>ComputeGradients</c>, <c>Evaluate</c>, checkpoints, <c>Dispose</c>.</summary>
    private void WriteTrainerApi(SourceWriter writer)
    {
        TrainingEmitter training = _training!;
        string model = _plan.ClassName;
        TargetPlan target = training.Target;
        long classes = target.Width;
        bool regression = !target.Descriptor.IsClassifier;
        bool batchNorm = training.HasBatchNorm;

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
        WriteLossValues(writer);
        writer.Line("/// <summary>One training step: zero the gradients, forward, backward, optional clipping, optimizer update.</summary>");
        writer.Line("/// <param name=\"batch\">The batch (its <c>Count</c> rows are used).</param>");
        writer.Line("/// <returns>The mean loss of the batch before the update.</returns>");
        writer.Open("public float Step(Batch batch)");
        writer.Line("float loss = ComputeGradients(batch);");
        writer.Line("Update(loss);");
        writer.Line("return loss;");
        writer.Close();
        writer.Line();
        writer.Line("/// <summary>Forward and backward without an update: <see cref=\"global::ModelDsl.Training.TrainerBase.Gradients\"/> holds d loss / d parameters afterwards.</summary>");
        writer.Line("/// <param name=\"batch\">The batch (its <c>Count</c> rows are used).</param>");
        writer.Line("/// <returns>The mean loss of the batch.</returns>");
        writer.Open("public float ComputeGradients(Batch batch)");
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(batch);");
        writer.Line("batch.__Validate();");
        writer.Line(Runtime + "Threading.ParallelClear.Clear(Gradients.Span, Pool);");
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
        writer.Open("public float Evaluate(Batch batch)");
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(batch);");
        writer.Line("batch.__Validate();");
        writer.Line("return __Forward(batch, false" + Statistics(false) + ");");
        writer.Close();
        writer.Line();
        WriteBatchShape(writer, training);
        training.WriteActivationAccessor(writer, model);
        writer.Line();
        if (!regression)
        {
            WritePredict(writer, training, model, classes);
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
        foreach ((string field, string _) in training.SavedBlocks)
        {
            writer.Line(field + ".Dispose();");
        }

        writer.Close();
        writer.Line();
        writer.Line("base.Dispose(disposing);");
        writer.Close();
        writer.Line();
    }

    /// <summary><c>__Prepare</c>, <c>__Forward</c> and <c>__Backward</c> (the descriptors' lines from <see cref="TrainingEmitter"/>), packing helpers and <c>__Encode</c>.</summary>
    private void WriteTrainerPasses(SourceWriter writer)
    {
        TrainingEmitter training = _training!;
        string model = _plan.ClassName;
        bool batchNorm = training.HasBatchNorm;

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

        writer.Line(Runtime + "Threading.ParallelClear.Clear(d, Pool);");
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
    }

    // The shape of the last forward pass: its rows and, per sequence input, its longest row.
    private static void WriteBatchShape(SourceWriter writer, TrainingEmitter training)
    {
        writer.Line("/// <summary>Rows (examples) of the last forward pass.</summary>");
        writer.Line("public int BatchCount => __b;");
        writer.Line();
        foreach (TrainingEmitter.Sequence sequence in training.Sequences)
        {
            writer.Line("/// <summary>The longest " + sequence.Input.Name + " row of the last forward pass (its <c>T</c>).</summary>");
            writer.Line("public int Longest" + sequence.Input.Name + " => " + sequence.Field + ";");
            writer.Line();
        }
    }

    // Predict for a pooled head [B, C] takes a row; for a per-position head [B, T, C] a row and a position. The other
    // overload throws naming the head, so neither can silently index the wrong logits.
    private static void WritePredict(SourceWriter writer, TrainingEmitter training, string model, long classes)
    {
        TargetPlan target = training.Target;
        string head = target.Layer;
        TrainingEmitter.Sequence? positions = null;
        foreach (TrainingEmitter.Sequence sequence in training.Sequences)
        {
            if (target.PerPosition && sequence.Input.Name == target.Source)
            {
                positions = sequence;
            }
        }

        string width = Literals.Int(classes);
        writer.Line("/// <summary>The most likely class of row <paramref name=\"row\"/> of the last forward pass, for a head with one prediction per row.</summary>");
        writer.Line("/// <param name=\"row\">Row of the batch, below <see cref=\"BatchCount\"/>.</param>");
        writer.Line("/// <returns>The argmax class (the first on ties).</returns>");
        if (positions is null)
        {
            writer.Open("public int Predict(int row)");
            writer.Line("CheckRow(row);");
            writer.Line("return ArgMax(Logits.Slice(row * " + width + ", " + width + "));");
            writer.Close();
        }
        else
        {
            writer.Line("/// <exception cref=\"global::System.InvalidOperationException\">Always: " + head + " predicts per position; use <see cref=\"Predict(int, int)\"/>.</exception>");
            writer.Line("public int Predict(int row) => throw new global::System.InvalidOperationException(\"" + model + ".Trainer.Predict(row): " + head + " predicts one class per position ([B, T, " + width + "]); call Predict(row, position).\");");
        }

        writer.Line();
        writer.Line("/// <summary>The most likely class at <paramref name=\"position\"/> of row <paramref name=\"row\"/> of the last forward pass, for a per-position head.</summary>");
        writer.Line("/// <param name=\"row\">Row of the batch, below <see cref=\"BatchCount\"/>.</param>");
        writer.Line("/// <param name=\"position\">Position in the row, below the longest row of the last pass.</param>");
        writer.Line("/// <returns>The argmax class (the first on ties).</returns>");
        if (positions is null)
        {
            writer.Line("/// <exception cref=\"global::System.InvalidOperationException\">Always: " + head + " predicts one class per row; use <see cref=\"Predict(int)\"/>.</exception>");
            writer.Line("public int Predict(int row, int position) => throw new global::System.InvalidOperationException(\"" + model + ".Trainer.Predict(row, position): " + head + " predicts one class per row ([B, " + width + "]); call Predict(row).\");");
            writer.Line();
            writer.Line("/// <summary>The logits of row <paramref name=\"row\"/> of the last forward pass, <c>[" + width + "]</c>.</summary>");
            writer.Open("public global::System.ReadOnlySpan<float> LogitsOf(int row)");
            writer.Line("CheckRow(row);");
            writer.Line("return Logits.Slice(row * " + width + ", " + width + ");");
            writer.Close();
        }
        else
        {
            writer.Line("public int Predict(int row, int position) => ArgMax(LogitsOf(row, position));");
            writer.Line();
            writer.Line("/// <summary>The logits at <paramref name=\"position\"/> of row <paramref name=\"row\"/> of the last forward pass, <c>[" + width + "]</c>.</summary>");
            writer.Open("public global::System.ReadOnlySpan<float> LogitsOf(int row, int position)");
            writer.Line("CheckRow(row);");
            writer.Open("if ((uint)position >= (uint)" + positions.Field + ")");
            writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(position), position, $\"" + model + ".Trainer: position {position} must be in [0, {" + positions.Field + "}) (the longest " + positions.Input.Name + " row of the last forward pass).\");");
            writer.Close();
            writer.Line();
            writer.Line("return Logits.Slice((row * " + positions.Field + " + position) * " + width + ", " + width + ");");
            writer.Close();
        }

        writer.Line();
        writer.Open("private void CheckRow(int row)");
        writer.Open("if ((uint)row >= (uint)__b)");
        writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(row), row, $\"" + model + ".Trainer: row {row} must be in [0, {__b}) (the rows of the last forward pass).\");");
        writer.Close();
        writer.Close();
        writer.Line();
    }
}
