using System;
using System.Collections.Generic;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// <c>{Model}.Decoder.g.cs</c>: <c>CreateDecoder</c> and the nested <c>StepDecoder</c>, an
/// <c>IIncrementalDecoder</c> that runs the decoded chain one position at a time for <c>R</c> hypothesis rows:
/// self-attention keys and values are cached per layer (never recomputed for the prefix), cross-attention keys and
/// values of the encoder memory are computed once in <c>Begin</c>, and the cross-attention weights of the last
/// decoder layer are kept per row and step for inspection. Only models <see cref="DecodingPlan"/> accepts reach it.
/// </summary>
internal sealed partial class ModelEmitter
{
    private const string Kernels = TrainingEmitter.K;
    private const string AsSpan = TrainingEmitter.AsSpan;

    // An encoder-decoder model is an ISeq2SeqModel (its StepDecoder begins from a Batch); a decoder-only one is not.
    private string EmitDecoder() => File(WriteDecoder, withRemarks: false,
        bases: _decoding?.MemorySequence is null ? null
            : "global::ModelDsl.Training.ISeq2SeqModel<" + Identifiers.Escape(_plan.ClassName) + ".Batch, " + Identifiers.Escape(_plan.ClassName) + ".StepDecoder>");

    private void WriteDecoder(SourceWriter writer)
    {
        TrainingEmitter training = _training!;
        DecodingPlan decoding = _decoding!;
        string model = _plan.ClassName;
        long maxSteps = decoding.Target.MaxLength;
        TrainingEmitter.Sequence? memory = decoding.MemorySequence;
        long maxSource = memory?.MaxLength ?? 0;
        LayerPlan head = decoding.Chain[decoding.Chain.Count - 1];
        long vocabulary = training.LayerParameter(head, ".weight")!.Shape[0];

        var context = new DecoderContext(writer, training, decoding, _plan.MaxBatch);

        // Widths and sizes the step buffers need, from each layer's descriptor.
        long maxWidth = 1;
        long maxHeads = 1;
        long maxProjectionWidth = 1;
        long reorderWidth = 1;
        foreach (LayerPlan layer in decoding.Chain)
        {
            maxWidth = Math.Max(maxWidth, layer.Descriptor.DecodeBufferWidth(layer));
            maxHeads = Math.Max(maxHeads, layer.Descriptor.DecodeHeads(layer));
            maxProjectionWidth = Math.Max(maxProjectionWidth, layer.Descriptor.DecodeMemoryProjectionWidth(layer));
            reorderWidth = Math.Max(reorderWidth, layer.Descriptor.DecodeReorderWidth(layer, maxSteps));
        }

        string W = Literals.Int(maxWidth);
        string steps = Literals.Int(maxSteps);
        string probsPerRow = Literals.Int(maxHeads * Math.Max(maxSteps, maxSource));

        writer.Line("/// <summary>Creates an incremental decoder for up to <paramref name=\"maxRows\"/> hypotheses (sources × beam width) at a time.</summary>");
        writer.Line("/// <param name=\"maxRows\">Largest number of rows (hypotheses) decoded together.</param>");
        writer.Line("/// <param name=\"threads\">Worker threads for the kernels (1 = serial).</param>");
        writer.Line("/// <returns>A decoder reading this model's current parameters; dispose it when done.</returns>");
        writer.Line("public StepDecoder CreateDecoder(int maxRows, int threads = 1) => new StepDecoder(this, maxRows, threads);");
        writer.Line();
        writer.Line("/// <summary>");
        writer.Line("/// Decodes <c>" + decoding.Target.Input.Name + "</c> one token per step for many rows at once (an <see cref=\"global::ModelDsl.Decoding.IIncrementalDecoder\"/>");
        writer.Line("/// for the searches in <c>ModelDsl.Decoding</c>: greedy, beam search, sampling):");
        writer.Line("/// each Transformer decoder layer caches its self-attention keys and values, so step <c>t</c> costs one position, not <c>t</c>.");
        writer.Line("/// Reads the model's parameters as they are at each call; allocates nothing after construction.");
        writer.Line("/// </summary>");
        writer.Line(GeneratedCode);
        writer.Open(decoding.MemorySequence is null
            ? "public sealed class StepDecoder : global::ModelDsl.Decoding.IIncrementalDecoder, global::System.IDisposable"
            : "public sealed class StepDecoder : global::ModelDsl.Training.IStepDecoder<Batch>");
        writer.Line("private readonly " + Identifiers.Escape(model) + " __model;");
        writer.Line("private readonly Trainer __trainer;");
        writer.Line("private readonly int __maxRows;");
        foreach (string buffer in new[] { "__x", "__y", "__n", "__q", "__k", "__v", "__c", "__o", "__h", "__pre" })
        {
            writer.Line("private readonly float[] " + buffer + ";");
        }

        writer.Line("private readonly float[] __mean;");
        writer.Line("private readonly float[] __rstd;");
        writer.Line("private readonly float[] __probs;");
        writer.Line("private readonly float[] __logits;");
        writer.Line("private readonly int[] __stepLengths;");
        writer.Line("private readonly float[] __reorder;");
        foreach ((LayerPlan layer, int index) in context.Layers)
        {
            layer.Descriptor.WriteDecoderFields(context, layer, index);
        }

        if (memory is not null)
        {
            writer.Line("private readonly int[] __sourceLengths;");
            writer.Line("private readonly float[] __memoryProjection;");
            writer.Line("private readonly float[] __history;");
            writer.Line("private int __s;");
            writer.Line("private int __width;");
        }

        writer.Line("private int __rows;");
        writer.Line();

        // Constructor.
        writer.Open("internal StepDecoder(" + Identifiers.Escape(model) + " model, int maxRows, int threads)");
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(model);");
        writer.Open("if (maxRows < 1)");
        writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(maxRows), maxRows, " + Literals.String(model + ".StepDecoder: maxRows must be at least 1.") + ");");
        writer.Close();
        writer.Line();
        writer.Line("__model = model;");
        writer.Line("__trainer = new Trainer(model, new global::ModelDsl.Optim.Sgd(0f), threads, null, 0f, 0UL);");
        writer.Line("__maxRows = maxRows;");
        writer.Line("long rows = maxRows;");
        foreach (string buffer in new[] { "__x", "__y", "__n", "__q", "__k", "__v", "__c", "__o", "__h", "__pre" })
        {
            writer.Line(buffer + " = new float[checked(rows * " + W + ")];");
        }

        writer.Line("__mean = new float[maxRows];");
        writer.Line("__rstd = new float[maxRows];");
        writer.Line("__probs = new float[checked(rows * " + probsPerRow + ")];");
        writer.Line("__logits = new float[checked(rows * " + Literals.Int(vocabulary) + ")];");
        writer.Line("__stepLengths = new int[maxRows];");
        writer.Line("__reorder = new float[checked(rows * " + Literals.Int(reorderWidth) + ")];");
        foreach ((LayerPlan layer, int index) in context.Layers)
        {
            layer.Descriptor.WriteDecoderAllocations(context, layer, index);
        }

        if (memory is not null)
        {
            writer.Line("__sourceLengths = new int[maxRows];");
            writer.Line("__memoryProjection = new float[" + Literals.Int(_plan.MaxBatch * maxSource * maxProjectionWidth) + "];");
            writer.Line("__history = new float[checked(rows * " + steps + " * " + Literals.Int(maxSource) + ")];");
        }

        writer.Close();
        writer.Line();

        writer.Line("/// <inheritdoc/>");
        writer.Line("public int Vocabulary => " + Literals.Int(vocabulary) + ";");
        writer.Line();
        writer.Line("/// <inheritdoc/>");
        writer.Line("public int MaxRows => __maxRows;");
        writer.Line();
        writer.Line("/// <inheritdoc/>");
        writer.Line("public int MaxSteps => " + steps + ";");
        writer.Line();
        writer.Line("/// <summary>Rows prepared by the last <c>Begin</c>.</summary>");
        writer.Line("public int Rows => __rows;");
        writer.Line();

        if (memory is not null)
        {
            WriteBeginWithMemory(context, memory);
        }
        else
        {
            writer.Line("/// <summary>Prepares <paramref name=\"rows\"/> empty hypotheses (feed a prompt through <see cref=\"Step\"/>, ignoring its outputs).</summary>");
            writer.Line("/// <param name=\"rows\">Rows to decode, 1 to MaxRows.</param>");
            writer.Open("public void Begin(int rows)");
            writer.Open("if (rows < 1 || rows > __maxRows)");
            writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(rows), rows, $\"" + model + ".StepDecoder.Begin: rows must be in [1, {__maxRows}] (maxRows).\");");
            writer.Close();
            writer.Line();
            writer.Line("__rows = rows;");
            writer.Close();
            writer.Line();
        }

        WriteStep(context, vocabulary);
        WriteReorder(context, memory is not null, maxSteps);

        writer.Line("/// <summary>Frees the decoder's worker pool and encoder arena.</summary>");
        writer.Line("public void Dispose() => __trainer.Dispose();");
        writer.Close();
    }

    private void WriteBeginWithMemory(DecoderContext context, TrainingEmitter.Sequence memory)
    {
        SourceWriter writer = context.Writer;
        DecodingPlan decoding = context.Decoding;
        string model = _plan.ClassName;
        long maxSource = memory.MaxLength;
        string steps = Literals.Int(decoding.Target.MaxLength);
        writer.Line("/// <summary>");
        writer.Line("/// Encodes the batch's sources (its <c>" + memory.Input.Name + "</c> rows; the decoded input is not read) and prepares <c>Count × width</c> rows:");
        writer.Line("/// row <c>b * width + k</c> is hypothesis <c>k</c> of source <c>b</c>. Cross-attention keys and values are computed once here.");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"batch\">The sources (rows below Count).</param>");
        writer.Line("/// <param name=\"width\">Hypotheses per source (the beam width; 1 for greedy or sampling).</param>");
        writer.Open("public void Begin(Batch batch, int width = 1)");
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(batch);");
        writer.Open("if (width < 1 || (long)batch.Count * width > __maxRows)");
        writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(width), width, $\"" + model + ".StepDecoder.Begin: Count ({batch.Count}) × width ({width}) must be 1 to maxRows ({__maxRows}).\");");
        writer.Close();
        writer.Line();
        writer.Line("__trainer.__Encode(batch);");
        writer.Line("int B = __trainer.__b;");
        writer.Line("int S = __trainer." + memory.Field + ";");
        writer.Line("__s = S;");
        writer.Line("__width = width;");
        writer.Line("__rows = B * width;");
        writer.Open("for (int r = 0; r < __rows; r++)");
        writer.Line("__sourceLengths[r] = batch." + Identifiers.Escape(memory.Input.Name + "Lengths") + "[r / width];");
        writer.Close();
        writer.Line();
        writer.Line("global::System.Span<float> p = __model.__parameters.Span;");
        writer.Line("global::System.Span<float> a = __trainer.__activations.Span;");
        foreach ((LayerPlan layer, int index) in context.Layers)
        {
            layer.Descriptor.WriteDecoderBegin(context, layer, index);
        }

        writer.Close();
        writer.Line();
        writer.Line("/// <summary>Valid source positions of row <paramref name=\"row\"/> (the length of its attention rows).</summary>");
        writer.Line("/// <param name=\"row\">A row below <see cref=\"Rows\"/>.</param>");
        writer.Line("/// <returns>The source length.</returns>");
        writer.Line("public int SourceLength(int row) => __sourceLengths[CheckRow(row)];");
        writer.Line();
        if (context.LastAttention is null)
        {
            // No layer attends to the memory (a plain RNN encoder-decoder): there are no weights to show.
            WriteRowCheck(writer, model);
            return;
        }

        writer.Line("/// <summary>");
        writer.Line("/// Cross-attention weights of the last decoder layer (mean over heads) when row <paramref name=\"row\"/> was fed its token at");
        writer.Line("/// <paramref name=\"step\"/>: one weight per source position (<see cref=\"SourceLength\"/> of them). Beam search moves hypotheses");
        writer.Line("/// between rows; follow <c>BeamSearch.RowAt</c> to read a hypothesis' path.");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"row\">A row below <see cref=\"Rows\"/>.</param>");
        writer.Line("/// <param name=\"step\">A step already run, below MaxSteps.</param>");
        writer.Line("/// <returns>The weights over the source positions.</returns>");
        writer.Open("public global::System.ReadOnlySpan<float> CrossAttention(int row, int step)");
        writer.Line("CheckRow(row);");
        writer.Open("if ((uint)step >= " + steps + "u)");
        writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(step), step, " + Literals.String(model + ".StepDecoder.CrossAttention: step must be in [0, " + steps + ").") + ");");
        writer.Close();
        writer.Line();
        writer.Line("return " + AsSpan + "__history, ((row * " + steps + ") + step) * " + Literals.Int(maxSource) + ", __sourceLengths[row]);");
        writer.Close();
        writer.Line();
        WriteRowCheck(writer, model);
    }

    private static void WriteRowCheck(SourceWriter writer, string model)
    {
        writer.Open("private int CheckRow(int row)");
        writer.Open("if ((uint)row >= (uint)__rows)");
        writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(row), row, $\"" + model + ".StepDecoder: row must be in [0, {__rows}) (the rows of the last Begin).\");");
        writer.Close();
        writer.Line();
        writer.Line("return row;");
        writer.Close();
        writer.Line();
    }

    private void WriteStep(DecoderContext context, long vocabulary)
    {
        SourceWriter writer = context.Writer;
        DecodingPlan decoding = context.Decoding;
        string model = _plan.ClassName;
        long maxSteps = decoding.Target.MaxLength;
        string steps = Literals.Int(maxSteps);
        string V = Literals.Int(vocabulary);
        writer.Line("/// <inheritdoc/>");
        writer.Open("public void Step(global::System.ReadOnlySpan<int> tokens, int step, global::System.Span<float> logProbabilities)");
        writer.Line("int R = tokens.Length;");
        writer.Open("if (R != __rows || R == 0)");
        writer.Line("throw new global::System.ArgumentException($\"" + model + ".StepDecoder.Step: {R} tokens given for the {__rows} rows of the last Begin.\", nameof(tokens));");
        writer.Close();
        writer.Line();
        writer.Open("if ((uint)step >= " + steps + "u)");
        writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(step), step, " + Literals.String(model + ".StepDecoder.Step: step must be in [0, " + steps + ") (the decoded input's maximum length).") + ");");
        writer.Close();
        writer.Line();
        writer.Open("if (logProbabilities.Length < R * " + V + ")");
        writer.Line("throw new global::System.ArgumentException($\"" + model + ".StepDecoder.Step: logProbabilities holds {logProbabilities.Length} floats; {R} rows need {R * " + V + "}.\", nameof(logProbabilities));");
        writer.Close();
        writer.Line();
        writer.Line("global::System.Span<float> p = __model.__parameters.Span;");
        writer.Line("global::ModelDsl.Threading.WorkerPool pool = __trainer.Pool;");
        writer.Line(AsSpan + "__stepLengths, 0, R).Fill(step + 1);");

        foreach (LayerPlan layer in decoding.Chain)
        {
            string title = "// " + layer.Name + " (" + KnownNames.AttributeName(layer.Kind) + ") at position step";
            layer.Descriptor.WriteDecodeStep(context, layer, context.IndexOf(layer), title);
        }

        writer.Close();
        writer.Line();
    }

    private void WriteReorder(DecoderContext context, bool hasMemory, long maxSteps)
    {
        SourceWriter writer = context.Writer;
        string model = _plan.ClassName;
        string steps = Literals.Int(maxSteps);
        writer.Line("/// <inheritdoc/>");
        writer.Open("public void Reorder(global::System.ReadOnlySpan<int> sources, int steps)");
        writer.Line("int R = sources.Length;");
        writer.Open("if (R != __rows)");
        writer.Line("throw new global::System.ArgumentException($\"" + model + ".StepDecoder.Reorder: {R} sources given for the {__rows} rows of the last Begin.\", nameof(sources));");
        writer.Close();
        writer.Line();
        writer.Open("if (steps < 0 || steps > " + steps + ")");
        writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(steps), steps, " + Literals.String(model + ".StepDecoder.Reorder: steps must be in [0, " + steps + "].") + ");");
        writer.Close();
        writer.Line();
        writer.Open("for (int r = 0; r < R; r++)");
        writer.Open("if ((uint)sources[r] >= (uint)R" + (hasMemory ? " || sources[r] / __width != r / __width" : string.Empty) + ")");
        writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(sources), sources[r], $\"" + model + ".StepDecoder.Reorder: row {r} cannot continue row {sources[r]}" + (hasMemory ? " (rows continue hypotheses of their own source)" : string.Empty) + ".\");");
        writer.Close();
        writer.Close();
        writer.Line();
        foreach ((LayerPlan layer, int index) in context.Layers)
        {
            layer.Descriptor.WriteDecoderReorder(context, layer, index);
        }

        writer.Close();
        writer.Line();
        // The last layer attending to the memory may keep its weights for inspection (a Transformer stack keeps their head average).
        if (hasMemory && context.LastAttention is { } recorded)
        {
            recorded.Descriptor.WriteAttentionRecorder(context, recorded);
        }
    }
}
