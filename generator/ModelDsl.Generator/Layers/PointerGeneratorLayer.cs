using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [PointerGenerator(Vocab, Memory = ..., Input = ...)]: the pointer-generator head of See et al. (2017) on a decoder's states
/// <c>[B, T, D]</c>. Its output is <c>log P</c> <c>[B, T, Vocab]</c>: the vocabulary logits <c>{path}.weight</c> <c>[Vocab, D]</c> /
/// <c>{path}.bias</c> of the states, a copy attention of its own (<c>{path}.copy_query.weight</c> <c>[D, D]</c>, one head, scaled dot
/// product with the <c>Memory</c> positions, key padding masked) whose weights are scattered onto the source token ids, mixed by
/// <c>p_gen = σ(gate.weight · [context | state | input] + gate.bias)</c> (<c>Input</c> is the decoded input's [Embedding]), in log
/// space (kernel <c>PointerGenerator</c>). A cross-entropy loss on log P is −log P(target); decoding reads the same distribution.
/// </summary>
internal sealed class PointerGeneratorLayer : LayerDescriptor
{
    public static readonly PointerGeneratorLayer Instance = new();

    private PointerGeneratorLayer()
    {
    }

    public override LayerKind Kind { get; } = new("PointerGenerator");

    public override string HandleType => "Dense";

    public override bool IsClassifierHead => true;

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        if (!c.RequireFloat())
        {
            return;
        }

        Shape input = c.Input;
        long vocab = c.Int("Vocab", 0);
        if (!c.CheckRange("Vocab", vocab, 1, "at least 1"))
        {
            return;
        }

        if (!input.IsFloatSequence)
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, Kind.ToString(), "the decoder states, a float sequence [B, T, D]", c.From, input.Named);
            return;
        }

        long width = input.Last.Size;
        if (!TryMemory(c, width, out string memoryName, out string sourceInput) || !TryInput(c, input, out long inputWidth))
        {
            return;
        }

        // The source's tokens are copied by id: its embedding's vocabulary must fit in the output vocabulary.
        for (int i = 0; i < c.Index; i++)
        {
            LayerSpec other = c.LayerAt(i);
            if (LayerRegistry.Find(other.Kind) is { EmbedsTokens: true } && c.OutputOf(i) is { } embedded && embedded.Source == sourceInput
                && other.Int("Vocab", 0) is var sourceVocab && sourceVocab > vocab)
            {
                string shown = other.Argument("Vocab")?.Display ?? sourceVocab.ToString(CultureInfo.InvariantCulture);
                c.Report(DiagnosticDescriptors.CopyVocabularyMismatch, c.At("Vocab"), layer.Name, sourceInput, shown + " (of '" + other.Name + "')", vocab.ToString(CultureInfo.InvariantCulture));
                return;
            }
        }

        Shape output = input.WithLast(c.StaticDim("Vocab", vocab));
        if (!c.CheckTensor("weight [" + vocab + ", " + width + "]", Sizes.Multiply(vocab, width)) || !c.CheckTensor("the output " + output.Named, output.MaxElements))
        {
            return;
        }

        c.SetMemory(memoryName);
        string path = c.Path;
        long gateWidth = (2 * width) + inputWidth;
        PendingParameter[] parameters =
        [
            LayerContext.Param(path + ".weight", Init.XavierUniform, vocab, width),
            LayerContext.Param(path + ".bias", Init.Zeros, vocab),
            LayerContext.Param(path + ".copy_query.weight", Init.XavierUniform, width, width),
            LayerContext.Param(path + ".gate.weight", Init.XavierUniform, 1, gateWidth),
            LayerContext.Param(path + ".gate.bias", Init.Zeros, 1),
        ];
        long rows = input.Dims[1].Size;
        long source = c.OutputOf(c.Resolve("Memory", memoryName))!.Dims[1].Size;
        long flops = Sizes.Multiply(2, rows, width, vocab + width) + Sizes.Multiply(4, rows, source, width);
        c.Complete(output, [LayerContext.Group(layer.Name, input, output, parameters)], [("output", output)], flops, "copy from " + memoryName);
    }

    private static bool TryMemory(LayerContext c, long width, out string memoryName, out string sourceInput)
    {
        sourceInput = string.Empty;
        memoryName = c.Layer.Text("Memory") ?? string.Empty;
        if (memoryName.Length == 0)
        {
            c.Report(DiagnosticDescriptors.CopyMemoryMismatch, c.Layer.AttributeLocation, c.Layer.Name, "(not set)", "name the encoder output to copy from, e.g. Memory = nameof(Encoder)");
            return false;
        }

        int index = c.Resolve("Memory", memoryName);
        if (index < 0 || c.OutputOf(index) is not { } memory)
        {
            return false;
        }

        string why;
        if (!memory.IsFloatSequence)
        {
            why = "it produces " + memory.Named + ", not a float sequence [B, S, D]";
        }
        else if (memory.Last.Size != width)
        {
            why = "its width " + memory.Last.Named + " is not the decoder width " + width.ToString(CultureInfo.InvariantCulture);
        }
        else if (memory.Source is not { } source || !c.TryFind(source, out int sourceIndex) || c.OutputOf(sourceIndex) is not { Tokens: true })
        {
            why = "its positions do not come from a token input, so there are no token ids to copy";
        }
        else if (source == c.Input.Source)
        {
            why = "it is a sequence of the decoded input '" + source + "', not of the source";
        }
        else
        {
            sourceInput = source;
            return true;
        }

        c.Report(DiagnosticDescriptors.CopyMemoryMismatch, c.At("Memory"), c.Layer.Name, "'" + memoryName + "'", why);
        return false;
    }

    private static bool TryInput(LayerContext c, Shape state, out long inputWidth)
    {
        inputWidth = 0;
        string name = c.Layer.Text("Input") ?? string.Empty;
        if (name.Length == 0)
        {
            c.Report(DiagnosticDescriptors.CopyInputMismatch, c.Layer.AttributeLocation, c.Layer.Name, "(not set)", "name the decoded input's [Embedding], e.g. Input = nameof(TargetEmbedding)");
            return false;
        }

        int index = c.Resolve("Input", name);
        if (index < 0 || c.OutputOf(index) is not { } embedded)
        {
            return false;
        }

        if (c.LayerAt(index).Kind != LayerKind.Embedding || embedded.Source != state.Source)
        {
            string what = c.LayerAt(index).Kind != LayerKind.Embedding ? "it is [" + KnownNames.AttributeName(c.LayerAt(index).Kind) + "], not an [Embedding]" : "it embeds '" + embedded.Source + "', not the decoded input '" + state.Source + "' of the states";
            c.Report(DiagnosticDescriptors.CopyInputMismatch, c.At("Input"), c.Layer.Name, "'" + name + "'", what);
            return false;
        }

        inputWidth = embedded.Last.Size;
        return true;
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring) => new PointerGeneratorOptions(
        wiring.Source, wiring.Memory, layer.Text("Input") ?? string.Empty);

    public override string? OnnxUnsupported(LayerPlan layer) =>
        "the pointer-generator head (" + layer.Name + ") scatters attention weights onto token ids; no ONNX nodes are written for it";

    public override string? PyTorchUnsupported(LayerPlan layer) =>
        "the pointer-generator head (" + layer.Name + ") has no nn.Module export; tests/parity/copy_head.py holds a PyTorch reference of its math";

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        PointerGeneratorOptions options = layer.OptionsOf<PointerGeneratorOptions>();
        Flow from = e.SourceOf(layer);
        Flow memory = e.FlowOf(options.Memory!);
        Flow input = e.FlowOf(options.Input);
        Sequence target = from.Sequence!, source = memory.Sequence!;
        ParameterPlan weight = e.LayerParameter(layer, ".weight")!, bias = e.LayerParameter(layer, ".bias")!;
        ParameterPlan query = e.LayerParameter(layer, ".copy_query.weight")!;
        ParameterPlan gateWeight = e.LayerParameter(layer, ".gate.weight")!, gateBias = e.LayerParameter(layer, ".gate.bias")!;
        long d = from.Width, v = weight.Shape[0];
        var logitsBackward = new List<string>();
        Buffer logits = e.Linear(layer.Path + ".logits", title + ": vocabulary logits, " + TrainingEmitter.Range(weight), from.Buffer, target, d, v, weight, 0, bias, 0, 0, e.ForwardLines, logitsBackward);
        e.AddBackward(logitsBackward);
        var queryBackward = new List<string>();
        Buffer q = e.Linear(layer.Path + ".copy_query", title + ": copy queries, " + TrainingEmitter.Range(query), from.Buffer, target, d, d, query, 0, null, 0, 0, e.ForwardLines, queryBackward);
        e.AddBackward(queryBackward);
        Buffer weights = e.Alloc(layer.Path + ".copy_weights", e.MaxRows(target) * source.MaxLength, target.BT + " * " + source.T);
        Buffer context = e.Alloc(layer.Path + ".copy_context", target, d);
        Buffer gate = e.Alloc(layer.Path + ".gate", target, 1);
        Buffer output = e.Alloc(layer.Path, target, v);
        string scratchLength = K + "PointerGenerator.ScratchLength(" + Literals.Int(v) + ", " + Literals.Int(source.MaxLength) + ")";
        e.ScratchTerms.Add(scratchLength);
        string shape = "new " + K + "PointerGeneratorShape(" + target.BT + ", " + target.T + ", " + source.T + ", " + Literals.Int(d) + ", " + Literals.Int(input.Width) + ", " + Literals.Int(v) + ")";
        string scratch = "__scratch.Span.Slice(0, " + scratchLength + ")";
        string saved = logits.A + ", " + q.A + ", " + from.Buffer.A + ", " + input.Buffer.A + ", " + memory.Buffer.A + ", " + source.Ids + ", " + source.Lengths;
        e.ForwardLines.Add(title + ": log P = log(p_gen softmax(logits) + (1 - p_gen) copy), copy attention over " + options.Memory + " [B," + source.T + "," + Literals.Int(d) + "], "
            + TrainingEmitter.Range(gateWeight) + ", " + TrainingEmitter.Range(gateBias));
        e.ForwardLines.Add(K + "PointerGenerator.Forward(" + output.A + ", " + weights.A + ", " + context.A + ", " + gate.A + ", " + saved + ", "
            + TrainingEmitter.P(gateWeight) + ", " + TrainingEmitter.P(gateBias) + ", " + shape + ", " + scratch + ");");
        e.AddBackward(
        [
            title + ": pointer-generator mixture",
            K + "PointerGenerator.Backward(" + logits.D + ", " + q.D + ", " + from.Buffer.D + ", " + input.Buffer.D + ", " + memory.Buffer.D + ", "
                + TrainingEmitter.G(gateWeight) + ", " + TrainingEmitter.G(gateBias) + ", " + output.D + ", " + output.A + ", " + weights.A + ", " + context.A + ", " + gate.A + ", "
                + saved + ", " + TrainingEmitter.P(gateWeight) + ", " + shape + ", " + scratch + ");",
        ]);
        return new Flow(output, target, v);
    }

    // Decoding: the copy attention reads a copy of the encoder output and of the source ids, taken in Begin.

    public override bool CanDecodeStep(LayerPlan layer) => true;

    public override string? DecodeMemory(LayerPlan layer) => layer.Options.Memory;

    public override long DecodeBufferWidth(LayerPlan layer) => System.Math.Max(layer.Input.Last.Size, layer.Output.Last.Size);

    public override void WriteDecoderFields(DecoderContext c, LayerPlan layer, int index)
    {
        string id = Literals.Int(index);
        foreach (string name in new[] { "Memory", "Query", "Input", "Weights", "Context", "Gate", "Scratch" })
        {
            c.Writer.Line("private readonly float[] __copy" + name + id + ";");
        }

        c.Writer.Line("private readonly int[] __copyIds" + id + ";");
        c.Writer.Line("private readonly int[] __copyLengths" + id + ";");
    }

    public override void WriteDecoderAllocations(DecoderContext c, LayerPlan layer, int index)
    {
        string id = Literals.Int(index), s = Literals.Int(c.MaxSource), d = Literals.Int(layer.Input.Last.Size), b = Literals.Int(c.MaxBatch);
        long v = layer.Output.Last.Size;
        c.Writer.Line("__copyMemory" + id + " = new float[" + Literals.Int(c.MaxBatch * c.MaxSource * layer.Input.Last.Size) + "];");
        c.Writer.Line("__copyQuery" + id + " = new float[checked(rows * " + d + ")];");
        c.Writer.Line("__copyInput" + id + " = new float[checked(rows * " + Literals.Int(InputTable(c, layer).Shape[1]) + ")];");
        c.Writer.Line("__copyWeights" + id + " = new float[checked(rows * " + s + ")];");
        c.Writer.Line("__copyContext" + id + " = new float[checked(rows * " + d + ")];");
        c.Writer.Line("__copyGate" + id + " = new float[maxRows];");
        c.Writer.Line("__copyScratch" + id + " = new float[" + K + "PointerGenerator.ScratchLength(" + Literals.Int(v) + ", " + s + ")];");
        c.Writer.Line("__copyIds" + id + " = new int[" + Literals.Int(c.MaxBatch * c.MaxSource) + "];");
        c.Writer.Line("__copyLengths" + id + " = new int[" + b + "];");
    }

    /// <summary>The encoder output <c>[B, S, D]</c> and the source ids (packed to stride S) once per source batch.</summary>
    public override void WriteDecoderBegin(DecoderContext c, LayerPlan layer, int index)
    {
        string id = Literals.Int(index), d = Literals.Int(layer.Input.Last.Size);
        Sequence source = c.Decoding.MemorySequence!;
        string ids = "batch." + Identifiers.Escape(source.Input.Name), lengths = "batch." + Identifiers.Escape(source.Input.Name + "Lengths");
        int offset = c.Training.Output(layer.Options.Memory!).Offset;
        c.Writer.Line("// " + layer.Name + ": the copy head's encoder output and source ids (stride S)");
        c.Writer.Line("a.Slice(" + Literals.Int(offset) + ", B * S * " + d + ").CopyTo(" + AsSpan + "__copyMemory" + id + "));");
        c.Writer.Open("for (int b = 0; b < B; b++)");
        c.Writer.Line("__copyLengths" + id + "[b] = " + lengths + "[b];");
        c.Writer.Line(AsSpan + ids + ", b * " + Literals.Int(source.MaxLength) + ", S).CopyTo(" + AsSpan + "__copyIds" + id + ", b * S, S));");
        c.Writer.Close();
    }

    public override void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title)
    {
        ParameterPlan weight = c.Training.LayerParameter(layer, ".weight")!, bias = c.Training.LayerParameter(layer, ".bias")!;
        ParameterPlan query = c.Training.LayerParameter(layer, ".copy_query.weight")!;
        ParameterPlan gateWeight = c.Training.LayerParameter(layer, ".gate.weight")!, gateBias = c.Training.LayerParameter(layer, ".gate.bias")!;
        ParameterPlan table = InputTable(c, layer);
        string id = Literals.Int(index);
        long d = c.Width, v = weight.Shape[0], e = table.Shape[1];
        string V = Literals.Int(v), D = Literals.Int(d), E = Literals.Int(e), S = Literals.Int(c.MaxSource);
        string output = c.IsHead(layer) ? "logProbabilities.Slice(0, R * " + V + ")" : DecoderContext.Buffer(c.Other, "R * " + V);
        c.Writer.Line(title + ": log of the pointer-generator mixture");
        c.WriteLinear("__logits", c.Current, weight, 0, bias, 0, d, v, 0);
        c.WriteLinear("__copyQuery" + id, c.Current, query, 0, null, 0, d, d, 0);
        c.Writer.Line(K + "Embedding.Forward(" + DecoderContext.Buffer("__copyInput" + id, "R * " + E) + ", " + TrainingEmitter.P(table) + ", tokens, " + Literals.Int(table.Shape[0]) + ", " + E + ");");
        c.Writer.Line(K + "PointerGenerator.Forward(" + output + ", " + DecoderContext.Buffer("__copyWeights" + id, "R * " + S) + ", " + DecoderContext.Buffer("__copyContext" + id, "R * " + D) + ", "
            + DecoderContext.Buffer("__copyGate" + id, "R") + ", " + DecoderContext.Buffer("__logits", "R * " + V) + ", " + DecoderContext.Buffer("__copyQuery" + id, "R * " + D) + ", "
            + DecoderContext.Buffer(c.Current, "R * " + D) + ", " + DecoderContext.Buffer("__copyInput" + id, "R * " + E) + ", " + DecoderContext.Buffer("__copyMemory" + id, "(R / __width) * __s * " + D) + ", "
            + DecoderContext.Buffer("__copyIds" + id, "(R / __width) * __s") + ", " + DecoderContext.Buffer("__copyLengths" + id, "R / __width") + ", "
            + TrainingEmitter.P(gateWeight) + ", " + TrainingEmitter.P(gateBias) + ", new " + K + "PointerGeneratorShape(R, __width, __s, " + D + ", " + E + ", " + V + "), " + AsSpan + "__copyScratch" + id + "));");
        if (!c.IsHead(layer))
        {
            c.Current = c.Other;
        }

        c.Width = v;
    }

    private static ParameterPlan InputTable(DecoderContext c, LayerPlan layer) =>
        c.Training.LayerParameter(c.Training.LayerNamed(layer.OptionsOf<PointerGeneratorOptions>().Input), ".weight")!;
}

/// <summary>[PointerGenerator]'s options.</summary>
/// <param name="Input">The decoded input's [Embedding] (the gate's x).</param>
internal sealed record PointerGeneratorOptions(string? Source, string? Memory, string Input) : LayerOptions(Source, Memory);
