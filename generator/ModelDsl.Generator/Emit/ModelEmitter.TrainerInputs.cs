using System.Collections.Generic;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>The trainer's input side: <c>__Prepare</c> (length checks, packing of ids, features, labels), <c>__Encode</c> and scheduled sampling.</summary>
internal sealed partial class ModelEmitter
{
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
        string name = sequence.Input.Name;
        string max = Literals.Int(sequence.MaxLength);
        string T = sequence.T;
        const string AsSpan = TrainingEmitter.AsSpan;
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

        foreach (TargetPlan loss in _plan.Losses)
        {
            if (loss.HasLabels && loss.PerPosition && loss.Source == sequence.Input.Name)
            {
                writer.Line(AsSpan + "batch." + loss.BatchMember + ", b * " + Literals.Int(loss.MaxLength) + ", " + T + ").CopyTo(" + AsSpan + TrainingEmitter.PackedLabelsOf(loss)
                    + ", b * " + T + ", " + T + "));");
            }
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
            writer.Line(TrainingEmitter.AsSpan + "batch." + Identifiers.Escape(input.Name) + ", 0, " + length + ").CopyTo(__activations.Span.Slice(" + Literals.Int(buffer.Offset) + ", " + length + ")); // " + input.Name + " [B, " + Literals.Int(input.Features) + "]");
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
