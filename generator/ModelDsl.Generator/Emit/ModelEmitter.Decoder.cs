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
    private const string Kernels = "global::ModelDsl.Kernels.";
    private const string AsSpan = "global::System.MemoryExtensions.AsSpan(";

    private string EmitDecoder() => File(WriteDecoder, withRemarks: false);

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

        // Widths and sizes the step buffers need.
        long maxWidth = 1;
        long maxHeads = 1;
        var stacks = new List<LayerPlan>();
        var rnns = new List<LayerPlan>();
        foreach (LayerPlan layer in decoding.Chain)
        {
            maxWidth = Math.Max(maxWidth, layer.Output.Last.Size);
            if (layer.Kind == LayerKind.RecurrentDecoder)
            {
                rnns.Add(layer);
                maxWidth = Math.Max(maxWidth, layer.Options.Hidden);
            }

            if (layer.Kind == LayerKind.TransformerDecoder)
            {
                stacks.Add(layer);
                maxWidth = Math.Max(maxWidth, layer.Options.FeedForward);
                maxHeads = Math.Max(maxHeads, layer.Options.Heads);
            }
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
        writer.Open("public sealed class StepDecoder : global::ModelDsl.Decoding.IIncrementalDecoder, global::System.IDisposable");
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
        for (int s = 0; s < stacks.Count; s++)
        {
            for (long l = 0; l < stacks[s].Options.Layers; l++)
            {
                string id = Literals.Int(s) + "_" + Literals.Int(l);
                writer.Line("private readonly float[] __selfK" + id + ";");
                writer.Line("private readonly float[] __selfV" + id + ";");
                if (stacks[s].Options.Memory is not null)
                {
                    writer.Line("private readonly float[] __crossK" + id + ";");
                    writer.Line("private readonly float[] __crossV" + id + ";");
                }
            }
        }

        for (int n = 0; n < rnns.Count; n++)
        {
            string id = Literals.Int(n);
            foreach (string name in new[] { "__rnnState", "__rnnCell", "__rnnMemory", "__rnnProjected", "__rnnWeights", "__rnnScratch", "__rnnInitial" })
            {
                writer.Line("private readonly float[] " + name + id + ";");
            }
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
        long maxStackWidth = 1;
        foreach (LayerPlan stack in stacks)
        {
            maxStackWidth = Math.Max(maxStackWidth, stack.Output.Last.Size);
        }

        long reorderWidth = stacks.Count > 0 ? maxSteps * maxStackWidth : 1;
        foreach (LayerPlan rnn in rnns)
        {
            reorderWidth = Math.Max(reorderWidth, rnn.Options.Hidden);
        }

        writer.Line("__reorder = new float[checked(rows * " + Literals.Int(reorderWidth) + ")];");
        for (int s = 0; s < stacks.Count; s++)
        {
            string d = Literals.Int(stacks[s].Output.Last.Size);
            for (long l = 0; l < stacks[s].Options.Layers; l++)
            {
                string id = Literals.Int(s) + "_" + Literals.Int(l);
                writer.Line("__selfK" + id + " = new float[checked(rows * " + steps + " * " + d + ")];");
                writer.Line("__selfV" + id + " = new float[checked(rows * " + steps + " * " + d + ")];");
                if (stacks[s].Options.Memory is not null)
                {
                    writer.Line("__crossK" + id + " = new float[checked(rows * " + Literals.Int(maxSource) + " * " + d + ")];");
                    writer.Line("__crossV" + id + " = new float[checked(rows * " + Literals.Int(maxSource) + " * " + d + ")];");
                }
            }
        }

        for (int n = 0; n < rnns.Count; n++)
        {
            LayerPlan rnn = rnns[n];
            string id = Literals.Int(n);
            string config = "Trainer." + training.RecurrentConfigByLayer[rnn.Name];
            string h = Literals.Int(rnn.Options.Hidden);
            string s = Literals.Int(maxSource);
            string mWidth = config + ".MemorySize";
            writer.Line("__rnnState" + id + " = new float[checked(rows * " + h + ")];");
            writer.Line("__rnnCell" + id + " = new float[" + config + ".HasCellState ? checked(rows * " + h + ") : 0];");
            writer.Line("__rnnMemory" + id + " = new float[checked(rows * " + s + " * " + mWidth + ")];");
            writer.Line("__rnnProjected" + id + " = new float[checked(rows * " + s + " * " + config + ".ProjectedMemorySize)];");
            writer.Line("__rnnWeights" + id + " = new float[" + config + ".Attention == global::ModelDsl.Kernels.DecoderAttention.None ? 0 : checked(rows * " + s + ")];");
            writer.Line("__rnnScratch" + id + " = new float[global::ModelDsl.Kernels.RecurrentDecoder.StepScratchLength(maxRows, " + s + ", " + config + ")];");
            writer.Line("__rnnInitial" + id + " = new float[" + Literals.Int(2 * _plan.MaxBatch * rnn.Options.Hidden) + "];");
        }

        if (memory is not null)
        {
            writer.Line("__sourceLengths = new int[maxRows];");
            writer.Line("__memoryProjection = new float[" + Literals.Int(_plan.MaxBatch * maxSource * maxStackWidth) + "];");
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
            WriteBeginWithMemory(writer, training, decoding, stacks, rnns, memory);
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

        WriteStep(writer, training, decoding, stacks, vocabulary);
        WriteReorder(writer, stacks, rnns, memory is not null, maxSteps);

        writer.Line("/// <summary>Frees the decoder's worker pool and encoder arena.</summary>");
        writer.Line("public void Dispose() => __trainer.Dispose();");
        writer.Close();
    }

    private void WriteBeginWithMemory(SourceWriter writer, TrainingEmitter training, DecodingPlan decoding, List<LayerPlan> stacks, List<LayerPlan> rnns, TrainingEmitter.Sequence memory)
    {
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
        for (int s = 0; s < stacks.Count; s++)
        {
            LayerPlan stack = stacks[s];
            if (stack.Options.Memory is not { } memoryLayer)
            {
                continue;
            }

            long d = stack.Output.Last.Size;
            string D = Literals.Int(d);
            int offset = training.Output(memoryLayer).Offset;
            writer.Line("// " + stack.Name + ": keys and values of " + memoryLayer + " [B, S, " + D + "] for every layer's cross-attention, repeated for the width hypotheses of each source");
            for (long l = 0; l < stack.Options.Layers; l++)
            {
                string id = Literals.Int(s) + "_" + Literals.Int(l);
                ParameterPlan weight = training.Parameter(stack.Path + ".layers." + Literals.Int(l) + ".multihead_attn.in_proj_weight");
                ParameterPlan bias = training.Parameter(stack.Path + ".layers." + Literals.Int(l) + ".multihead_attn.in_proj_bias");
                foreach ((string cache, long part) in new[] { ("__crossK" + id, 1L), ("__crossV" + id, 2L) })
                {
                    writer.Line(Kernels + "Linear.Forward(" + AsSpan + "__memoryProjection, 0, B * S * " + D + "), a.Slice(" + Literals.Int(offset) + ", B * S * " + D + "), " + TrainingEmitter.P(weight, part * d * d, d * d) + ", " + TrainingEmitter.P(bias, part * d, d) + ", B * S, " + D + ", " + D + ", pool: __trainer.Pool);");
                    writer.Line("global::ModelDsl.Decoding.HypothesisRows.Repeat(__memoryProjection, " + cache + ", B, width, S * " + D + ");");
                }
            }
        }

        for (int n = 0; n < rnns.Count; n++)
        {
            LayerPlan rnn = rnns[n];
            string id = Literals.Int(n);
            string config = "Trainer." + training.RecurrentConfigByLayer[rnn.Name];
            string encoder = rnn.Options.Memory!;
            int memoryOffset = training.Output(encoder).Offset;
            (int finalOffset, long finalWidth) = training.FinalState(encoder);
            string h = Literals.Int(rnn.Options.Hidden);
            string parameters = Layers.RecurrentDecoderLayer.DecoderParameters(training, rnn, rnn.Options.RecurrentAttention, "P");
            writer.Line("// " + rnn.Name + ": encoder states repeated per hypothesis, their projection for the attention, and the initial state from " + encoder + "'s final state");
            writer.Open();
            writer.Line("int M = " + config + ".MemorySize;");
            writer.Open("if (M > 0)");
            writer.Line("global::ModelDsl.Decoding.HypothesisRows.Repeat(a.Slice(" + Literals.Int(memoryOffset) + ", B * S * M), __rnnMemory" + id + ", B, width, S * M);");
            writer.Close();
            writer.Line();
            writer.Line("int P = " + config + ".ProjectedMemorySize;");
            writer.Open("if (P > 0)");
            writer.Line(Kernels + "RecurrentDecoder.ProjectMemory(" + AsSpan + "__rnnProjected" + id + ", 0, __rows * S * P), " + AsSpan + "__rnnMemory" + id + ", 0, __rows * S * M), " + parameters + ", __rows, S, " + config + ", __trainer.Pool);");
            writer.Close();
            writer.Line();
            if (finalWidth != rnn.Options.Hidden)
            {
                ParameterPlan bridgeWeight = training.Parameter(rnn.Path + ".bridge.weight");
                ParameterPlan bridgeBias = training.Parameter(rnn.Path + ".bridge.bias");
                writer.Line(Kernels + "Linear.Forward(" + AsSpan + "__rnnInitial" + id + ", 0, B * " + h + "), a.Slice(" + Literals.Int(finalOffset) + ", B * " + Literals.Int(finalWidth) + "), " + TrainingEmitter.P(bridgeWeight) + ", " + TrainingEmitter.P(bridgeBias) + ", B, " + Literals.Int(finalWidth) + ", " + h + ", " + Kernels + "ActivationKind.Tanh, " + AsSpan + "__rnnInitial" + id + ", " + Literals.Int(_plan.MaxBatch * rnn.Options.Hidden) + ", B * " + h + "), __trainer.Pool);");
                writer.Line("global::ModelDsl.Decoding.HypothesisRows.Repeat(__rnnInitial" + id + ", __rnnState" + id + ", B, width, " + h + ");");
            }
            else
            {
                writer.Line("a.Slice(" + Literals.Int(finalOffset) + ", B * " + h + ").CopyTo(" + AsSpan + "__rnnInitial" + id + ", 0, B * " + h + "));");
                writer.Line("global::ModelDsl.Decoding.HypothesisRows.Repeat(__rnnInitial" + id + ", __rnnState" + id + ", B, width, " + h + ");");
            }

            writer.Line("global::System.Array.Clear(__rnnCell" + id + ");");
            writer.Close();
        }

        writer.Close();
        writer.Line();
        writer.Line("/// <summary>Valid source positions of row <paramref name=\"row\"/> (the length of its attention rows).</summary>");
        writer.Line("/// <param name=\"row\">A row below <see cref=\"Rows\"/>.</param>");
        writer.Line("/// <returns>The source length.</returns>");
        writer.Line("public int SourceLength(int row) => __sourceLengths[CheckRow(row)];");
        writer.Line();
        if (LastAttention(decoding) is null)
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

    private void WriteStep(SourceWriter writer, TrainingEmitter training, DecodingPlan decoding, List<LayerPlan> stacks, long vocabulary)
    {
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
        writer.Line("global::System.MemoryExtensions.AsSpan(__stepLengths, 0, R).Fill(step + 1);");

        string current = "__x";
        string Other() => current == "__x" ? "__y" : "__x";
        string Buf(string array, string length) => AsSpan + array + ", 0, " + length + ")";
        long width = 0;
        int stackIndex = 0;
        int rnnIndex = 0;
        foreach (LayerPlan layer in decoding.Chain)
        {
            string title = "// " + layer.Name + " (" + KnownNames.AttributeName(layer.Kind) + ") at position step";
            switch (layer.Kind)
            {
                case LayerKind.Embedding:
                {
                    ParameterPlan weight = training.LayerParameter(layer, ".weight")!;
                    width = weight.Shape[1];
                    writer.Line(title);
                    writer.Line(Kernels + "Embedding.Forward(" + Buf(current, "R * " + Literals.Int(width)) + ", " + TrainingEmitter.P(weight) + ", tokens, " + Literals.Int(weight.Shape[0]) + ", " + Literals.Int(width) + ");");
                    break;
                }

                case LayerKind.LearnedPositions:
                {
                    ParameterPlan weight = training.LayerParameter(layer, ".weight")!;
                    string D = Literals.Int(width);
                    writer.Line(title);
                    writer.Line(Kernels + "LearnedPositions.Forward(" + Buf(Other(), "R * " + D) + ", " + Buf(current, "R * " + D) + ", p.Slice(" + Literals.Int(weight.Offset) + " + (step * " + D + "), " + D + "), R, 1, " + D + ");");
                    current = Other();
                    break;
                }

                case LayerKind.SinusoidalPositions:
                {
                    string D = Literals.Int(width);
                    writer.Line(title);
                    writer.Line(Kernels + "SinusoidalPositions.Forward(" + Buf(Other(), "R * " + D) + ", " + Buf(current, "R * " + D) + ", " + AsSpan + "__trainer." + training.SinusoidByLayer[layer.Name] + ", step * " + D + ", " + D + "), R, 1, " + D + ");");
                    current = Other();
                    break;
                }

                case LayerKind.Dropout:
                    writer.Line(title + ": the identity when decoding");
                    break;
                case LayerKind.LayerNorm:
                    writer.Line(title);
                    WriteStepNorm(writer, training, layer.Path, current, Other(), width);
                    current = Other();
                    break;
                case LayerKind.Dense:
                {
                    ParameterPlan weight = training.LayerParameter(layer, ".weight")!;
                    ParameterPlan? bias = training.LayerParameter(layer, ".bias");
                    long units = weight.Shape[0];
                    bool last = layer == decoding.Chain[decoding.Chain.Count - 1];
                    string output = last ? "__logits" : Other();
                    writer.Line(title);
                    WriteStepLinear(writer, output, current, weight, 0, bias, 0, width, units, layer.Options.Activation);
                    if (last)
                    {
                        writer.Line("// log-softmax over the " + V + " classes");
                        writer.Line(Kernels + "Softmax.LogForward(logProbabilities.Slice(0, R * " + V + "), " + Buf("__logits", "R * " + V) + ", R, " + V + ", pool);");
                    }
                    else
                    {
                        current = Other();
                    }

                    width = units;
                    break;
                }

                case LayerKind.RecurrentDecoder:
                {
                    int n = rnnIndex++;
                    string id = Literals.Int(n);
                    string config = "Trainer." + training.RecurrentConfigByLayer[layer.Name];
                    long outputWidth = layer.Output.Last.Size;
                    string h = Literals.Int(layer.Options.Hidden);
                    bool attention = layer.Options.RecurrentAttention != 0;
                    writer.Line(title + ": one recurrent step from each row's state" + (attention ? ", attending over the encoder states" : string.Empty));
                    writer.Line(Kernels + "RecurrentDecoder.Step(" + AsSpan + "__rnnState" + id + ", 0, R * " + h + "), " + AsSpan + "__rnnCell" + id + ", 0, " + config + ".HasCellState ? R * " + h + " : 0), " + Buf(Other(), "R * " + Literals.Int(outputWidth)) + ", "
                        + (attention ? AsSpan + "__rnnWeights" + id + ", 0, R * __s)" : "default") + ", " + AsSpan + "__rnnScratch" + id + ", 0, " + Kernels + "RecurrentDecoder.StepScratchLength(R, __s, " + config + ")), " + Buf(current, "R * " + Literals.Int(width)) + ", "
                        + AsSpan + "__rnnMemory" + id + ", 0, R * __s * " + config + ".MemorySize), " + AsSpan + "__rnnProjected" + id + ", 0, R * __s * " + config + ".ProjectedMemorySize), " + AsSpan + "__sourceLengths, 0, R), " + Layers.RecurrentDecoderLayer.DecoderParameters(training, layer, layer.Options.RecurrentAttention, "P") + ", R, __s, " + config + ", pool);");
                    if (attention && layer == LastAttention(decoding))
                    {
                        writer.Open("for (int r = 0; r < R; r++)");
                        writer.Line(AsSpan + "__rnnWeights" + id + ", r * __s, __s).CopyTo(" + AsSpan + "__history, ((r * " + Literals.Int(decoding.Target.MaxLength) + ") + step) * " + Literals.Int(decoding.MemorySequence!.MaxLength) + ", __s));");
                        writer.Close();
                    }

                    current = Other();
                    width = outputWidth;
                    break;
                }

                case LayerKind.TransformerDecoder:
                {
                    bool lastStackWithMemory = layer.Options.Memory is not null && LastAttention(decoding) == layer;
                    current = WriteStepStack(writer, training, layer, stackIndex++, current, width, lastStackWithMemory);
                    break;
                }

                default:
                    throw new InvalidOperationException("layer kind " + layer.Kind + " has no decoding code");
            }
        }

        writer.Close();
        writer.Line();
    }

    /// <summary>The last layer of the chain that attends to the memory (its weights are kept for inspection).</summary>
    private static LayerPlan? LastAttention(DecodingPlan decoding)
    {
        LayerPlan? last = null;
        foreach (LayerPlan layer in decoding.Chain)
        {
            if ((layer.Kind == LayerKind.TransformerDecoder && layer.Options.Memory is not null) || (layer.Kind == LayerKind.RecurrentDecoder && layer.Options.RecurrentAttention != 0))
            {
                last = layer;
            }
        }

        return last;
    }

    private static void WriteStepNorm(SourceWriter writer, TrainingEmitter training, string prefix, string input, string output, long width)
    {
        string D = Literals.Int(width);
        writer.Line(Kernels + "LayerNorm.Forward(" + AsSpan + output + ", 0, R * " + D + "), " + AsSpan + "__mean, 0, R), " + AsSpan + "__rstd, 0, R), " + AsSpan + input + ", 0, R * " + D + "), " + TrainingEmitter.P(training.Parameter(prefix + ".weight")) + ", " + TrainingEmitter.P(training.Parameter(prefix + ".bias")) + ", R, " + D + ", pool: pool);");
    }

    private static void WriteStepLinear(SourceWriter writer, string output, string input, ParameterPlan weight, long weightStart, ParameterPlan? bias, long biasStart, long inWidth, long units, int activation)
    {
        string w = TrainingEmitter.P(weight, weightStart, units * inWidth);
        string b = bias is null ? "default" : TrainingEmitter.P(bias, biasStart, units);
        string dims = "R, " + Literals.Int(inWidth) + ", " + Literals.Int(units);
        string o = AsSpan + output + ", 0, R * " + Literals.Int(units) + ")";
        string i = AsSpan + input + ", 0, R * " + Literals.Int(inWidth) + ")";
        if (activation == 0)
        {
            writer.Line(Kernels + "Linear.Forward(" + o + ", " + i + ", " + w + ", " + b + ", " + dims + ", pool: pool);");
        }
        else
        {
            writer.Line(Kernels + "Linear.Forward(" + o + ", " + i + ", " + w + ", " + b + ", " + dims + ", " + TrainingEmitter.ActivationKind(activation) + ", " + AsSpan + "__pre, 0, R * " + Literals.Int(units) + "), pool);");
        }
    }

    /// <summary>One decoder stack at one position; returns the buffer holding its output.</summary>
    private string WriteStepStack(SourceWriter writer, TrainingEmitter training, LayerPlan stack, int stackIndex, string current, long width, bool recordHistory)
    {
        LayerOptions options = stack.Options;
        long heads = options.Heads;
        long headDim = width / heads;
        string D = Literals.Int(width);
        string H = Literals.Int(heads);
        string steps = Literals.Int(_decoding!.Target.MaxLength);
        string scale = Literals.Float((float)(1.0 / Math.Sqrt(headDim)));
        string RD = "R * " + D;
        string Buf(string array) => AsSpan + array + ", 0, " + RD + ")";
        for (long l = 0; l < options.Layers; l++)
        {
            string id = Literals.Int(stackIndex) + "_" + Literals.Int(l);
            string prefix = stack.Path + ".layers." + Literals.Int(l) + ".";
            bool cross = options.Memory is not null;
            writer.Line("// " + stack.Name + ".Layer[" + Literals.Int(l) + "]: " + (options.NormFirst ? "pre-norm" : "post-norm") + ", self-attention over the cached positions 0..step" + (cross ? ", cross-attention to the encoder memory" : string.Empty));
            int index = 1;

            // Each sublayer: x + f(norm(x)) (pre-norm) or norm(x + f(x)) (post-norm); the residual adds in place.
            foreach (string sublayer in cross ? new[] { "self", "cross", "ff" } : new[] { "self", "ff" })
            {
                string norm = prefix + "norm" + Literals.Int(index);
                string input = current;
                if (options.NormFirst)
                {
                    WriteStepNorm(writer, training, norm, current, "__n", width);
                    input = "__n";
                }

                switch (sublayer)
                {
                    case "self":
                    {
                        ParameterPlan w = training.Parameter(prefix + "self_attn.in_proj_weight");
                        ParameterPlan b = training.Parameter(prefix + "self_attn.in_proj_bias");
                        writer.Line("// self-attention: q, k, v of this position; k and v join the cache at position step");
                        WriteStepLinear(writer, "__q", input, w, 0, b, 0, width, width, 0);
                        WriteStepLinear(writer, "__k", input, w, width * width, b, width, width, width, 0);
                        WriteStepLinear(writer, "__v", input, w, 2 * width * width, b, 2 * width, width, width, 0);
                        writer.Open("for (int r = 0; r < R; r++)");
                        writer.Line(AsSpan + "__k, r * " + D + ", " + D + ").CopyTo(" + AsSpan + "__selfK" + id + ", ((r * " + steps + ") + step) * " + D + ", " + D + "));");
                        writer.Line(AsSpan + "__v, r * " + D + ", " + D + ").CopyTo(" + AsSpan + "__selfV" + id + ", ((r * " + steps + ") + step) * " + D + ", " + D + "));");
                        writer.Close();
                        writer.Line(Kernels + "Attention.Forward(" + Buf("__c") + ", " + AsSpan + "__probs, 0, R * " + H + " * " + steps + "), " + Buf("__q") + ", " + AsSpan + "__selfK" + id + ", 0, R * " + steps + " * " + D + "), " + AsSpan + "__selfV" + id + ", 0, R * " + steps + " * " + D + "), R, 1, " + steps + ", " + H + ", " + Literals.Int(headDim) + ", " + Kernels + "AttentionMask.KeyPadding(" + AsSpan + "__stepLengths, 0, R)), " + scale + ", pool);");
                        WriteStepLinear(writer, "__o", "__c", training.Parameter(prefix + "self_attn.out_proj.weight"), 0, training.Parameter(prefix + "self_attn.out_proj.bias"), 0, width, width, 0);
                        break;
                    }

                    case "cross":
                    {
                        ParameterPlan w = training.Parameter(prefix + "multihead_attn.in_proj_weight");
                        ParameterPlan b = training.Parameter(prefix + "multihead_attn.in_proj_bias");
                        writer.Line("// cross-attention: queries of this position against the memory's keys and values from Begin");
                        WriteStepLinear(writer, "__q", input, w, 0, b, 0, width, width, 0);
                        writer.Line(Kernels + "Attention.Forward(" + Buf("__c") + ", " + AsSpan + "__probs, 0, R * " + H + " * __s), " + Buf("__q") + ", " + AsSpan + "__crossK" + id + ", 0, R * __s * " + D + "), " + AsSpan + "__crossV" + id + ", 0, R * __s * " + D + "), R, 1, __s, " + H + ", " + Literals.Int(headDim) + ", " + Kernels + "AttentionMask.KeyPadding(" + AsSpan + "__sourceLengths, 0, R)), " + scale + ", pool);");
                        if (recordHistory && l == options.Layers - 1)
                        {
                            writer.Line("RecordAttention(R, step);");
                        }

                        WriteStepLinear(writer, "__o", "__c", training.Parameter(prefix + "multihead_attn.out_proj.weight"), 0, training.Parameter(prefix + "multihead_attn.out_proj.bias"), 0, width, width, 0);
                        break;
                    }

                    default:
                    {
                        long ff = options.FeedForward;
                        writer.Line("// feed-forward");
                        WriteStepLinear(writer, "__h", input, training.Parameter(prefix + "linear1.weight"), 0, training.Parameter(prefix + "linear1.bias"), 0, width, ff, options.Activation);
                        WriteStepLinear(writer, "__o", "__h", training.Parameter(prefix + "linear2.weight"), 0, training.Parameter(prefix + "linear2.bias"), 0, ff, width, 0);
                        break;
                    }
                }

                writer.Line(Kernels + "Residual.Forward(" + Buf(current) + ", " + Buf(current) + ", " + Buf("__o") + ");");
                if (!options.NormFirst)
                {
                    string other = current == "__x" ? "__y" : "__x";
                    WriteStepNorm(writer, training, norm, current, other, width);
                    current = other;
                }

                index++;
            }
        }

        if (options.NormFirst)
        {
            string other = current == "__x" ? "__y" : "__x";
            writer.Line("// " + stack.Name + ".Norm (final, pre-norm stack)");
            WriteStepNorm(writer, training, stack.Path + ".norm", current, other, width);
            current = other;
        }

        return current;
    }

    private void WriteReorder(SourceWriter writer, List<LayerPlan> stacks, List<LayerPlan> rnns, bool hasMemory, long maxSteps)
    {
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
        for (int s = 0; s < stacks.Count; s++)
        {
            string D = Literals.Int(stacks[s].Output.Last.Size);
            for (long l = 0; l < stacks[s].Options.Layers; l++)
            {
                string id = Literals.Int(s) + "_" + Literals.Int(l);
                writer.Line("global::ModelDsl.Decoding.HypothesisRows.Gather(__selfK" + id + ", sources, steps * " + D + ", " + steps + " * " + D + ", __reorder);");
                writer.Line("global::ModelDsl.Decoding.HypothesisRows.Gather(__selfV" + id + ", sources, steps * " + D + ", " + steps + " * " + D + ", __reorder);");
            }
        }

        for (int n = 0; n < rnns.Count; n++)
        {
            string h = Literals.Int(rnns[n].Options.Hidden);
            writer.Line("global::ModelDsl.Decoding.HypothesisRows.Gather(__rnnState" + Literals.Int(n) + ", sources, " + h + ", " + h + ", __reorder);");
            writer.Open("if (__rnnCell" + Literals.Int(n) + ".Length > 0)");
            writer.Line("global::ModelDsl.Decoding.HypothesisRows.Gather(__rnnCell" + Literals.Int(n) + ", sources, " + h + ", " + h + ", __reorder);");
            writer.Close();
        }

        writer.Close();
        writer.Line();
        // The head average is recorded only when the last attention over the memory is a Transformer stack's.
        if (hasMemory && LastAttention(_decoding!) is { Kind: LayerKind.TransformerDecoder } recorded)
        {
            string heads = Literals.Int(recorded.Options.Heads);
            writer.Line("/// <summary>Keeps the mean over heads of the cross-attention weights in <c>__probs</c> as row r's history at <paramref name=\"step\"/>.</summary>");
            writer.Open("private void RecordAttention(int rows, int step)");
            writer.Line("int S = __s;");
            writer.Open("for (int r = 0; r < rows; r++)");
            writer.Line("global::System.Span<float> history = " + AsSpan + "__history, ((r * " + steps + ") + step) * " + Literals.Int(_decoding!.MemorySequence!.MaxLength) + ", S);");
            writer.Open("for (int j = 0; j < S; j++)");
            writer.Line("float sum = 0f;");
            writer.Open("for (int h = 0; h < " + heads + "; h++)");
            writer.Line("sum += __probs[(((r * " + heads + ") + h) * S) + j];");
            writer.Close();
            writer.Line();
            writer.Line("history[j] = sum / " + heads + "f;");
            writer.Close();
            writer.Close();
            writer.Close();
            writer.Line();
        }
    }
}
