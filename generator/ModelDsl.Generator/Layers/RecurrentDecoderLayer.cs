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
/// [RecurrentDecoder(Hidden, Memory = nameof(encoder))]: a teacher-forced recurrent decoder started from a [RecurrentEncoder]'s
/// final state (through a tanh bridge when the widths differ), with Bahdanau (default), Luong dot, general or concat
/// attention over the encoder states, or none. Autoregressive: it feeds its predictions back as its input.
/// </summary>
internal sealed class RecurrentDecoderLayer : LayerDescriptor
{
    /// <summary>RecurrentAttention values.</summary>
    public const int NoAttention = 0, Bahdanau = 1, LuongDot = 2, LuongGeneral = 3, LuongConcat = 4;

    /// <summary>The RecurrentAttention values' names, for messages and summaries, and the kernel's DecoderAttention names.</summary>
    internal static readonly string[] AttentionNames = ["none", "Bahdanau", "Luong dot", "Luong general", "Luong concat"];

    internal static readonly string[] KernelAttentionNames = ["None", "Bahdanau", "LuongDot", "LuongGeneral", "LuongConcat"];

    /// <summary>Whether the mode scores with vᵀ tanh(W s + U h) and so has an AttentionSize.</summary>
    internal static bool HasAttentionSize(long attention) => attention is Bahdanau or LuongConcat;

    public static readonly RecurrentDecoderLayer Instance = new();

    private RecurrentDecoderLayer()
    {
    }

    public override LayerKind Kind => LayerKind.RecurrentDecoder;

    public override string HandleType => "RecurrentDecoderLayer";

    public override bool IsAutoregressive(LayerSpec layer) => true;

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        if (!input.IsFloatSequence)
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, "RecurrentDecoder", "a float sequence [B, T, E] (the embedded decoder input)", c.From, input.Named);
            return;
        }

        long hidden = c.Int("Hidden", 0);
        long cell = c.Int("Cell", RecurrentCells.Gru);
        long attention = c.Int("Attention", Bahdanau);
        bool ok = c.CheckRange("Hidden", hidden, 1, "at least 1");
        if (cell is < 0 or > 2)
        {
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Cell"), layer.Name, "Cell", cell, "a RecurrentCell value");
            ok = false;
        }

        if (attention is < 0 or > LuongConcat)
        {
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Attention"), layer.Name, "Attention", attention, "a RecurrentAttention value");
            ok = false;
        }

        if (!ok)
        {
            return;
        }

        if (layer.Text("Memory") is not { } memoryName)
        {
            c.Report(DiagnosticDescriptors.MemoryMismatch, layer.AttributeLocation, layer.Name, "(none)", "nothing", "a [RecurrentDecoder] needs Memory = nameof(a [RecurrentEncoder]) for its initial state and attention");
            return;
        }

        int memoryIndex = c.Resolve("Memory", memoryName);
        if (memoryIndex < 0 || c.OutputOf(memoryIndex) is not { } memory)
        {
            return;
        }

        LayerSpec encoder = c.LayerAt(memoryIndex);
        if (encoder.Kind != LayerKind.RecurrentEncoder)
        {
            c.Report(DiagnosticDescriptors.MemoryMismatch, c.At("Memory"), layer.Name, memoryName, memory.Named, "a [RecurrentDecoder] reads a [RecurrentEncoder] (its final state starts the decoder), not [" + KnownNames.AttributeName(encoder.Kind) + "]");
            return;
        }

        long m = memory.Last.Size;
        if (attention == LuongDot && m != hidden)
        {
            c.Report(DiagnosticDescriptors.MemoryMismatch, c.At("Memory"), layer.Name, memoryName, memory.Named, "Luong dot attention needs encoder states as wide as the decoder state (Hidden " + hidden.ToString(CultureInfo.InvariantCulture) + ")");
            return;
        }

        c.SetMemory(encoder.Name);
        long e = input.Last.Size;
        long a = HasAttentionSize(attention) ? c.Int("AttentionSize", 0) : 0;
        if (HasAttentionSize(attention))
        {
            if (layer.Argument("AttentionSize") is not null && !c.CheckRange("AttentionSize", a, 0, "at least 1 (or 0 for Hidden)"))
            {
                return;
            }

            a = a == 0 ? hidden : a;
        }

        long gates = RecurrentCells.Gates(cell);
        string path = c.Path;
        long cellInput = attention == Bahdanau ? e + m : e;
        var parameters = new List<PendingParameter>
        {
            LayerContext.Param(path + ".weight_ih", Init.XavierUniform, gates * hidden, cellInput),
            LayerContext.Param(path + ".weight_hh", Init.XavierUniform, gates * hidden, hidden),
            LayerContext.Param(path + ".bias_ih", Init.Zeros, gates * hidden),
            LayerContext.Param(path + ".bias_hh", Init.Zeros, gates * hidden),
        };
        switch (attention)
        {
            case Bahdanau:
                parameters.Add(LayerContext.Param(path + ".attention.state_weight", Init.XavierUniform, a, hidden));
                parameters.Add(LayerContext.Param(path + ".attention.memory_weight", Init.XavierUniform, a, m));
                parameters.Add(LayerContext.Param(path + ".attention.score", Init.XavierUniform, 1, a));
                break;
            case LuongDot:
                parameters.Add(LayerContext.Param(path + ".attention.combine_weight", Init.XavierUniform, hidden, m + hidden));
                break;
            case LuongGeneral:
                parameters.Add(LayerContext.Param(path + ".attention.memory_weight", Init.XavierUniform, hidden, m));
                parameters.Add(LayerContext.Param(path + ".attention.combine_weight", Init.XavierUniform, hidden, m + hidden));
                break;
            case LuongConcat:
                parameters.Add(LayerContext.Param(path + ".attention.state_weight", Init.XavierUniform, a, hidden));
                parameters.Add(LayerContext.Param(path + ".attention.memory_weight", Init.XavierUniform, a, m));
                parameters.Add(LayerContext.Param(path + ".attention.score", Init.XavierUniform, 1, a));
                parameters.Add(LayerContext.Param(path + ".attention.combine_weight", Init.XavierUniform, hidden, m + hidden));
                break;
        }

        // The encoder's final state [B, F] starts the decoder: directly when F = Hidden, else through tanh(W_b f + b_b).
        long final = RecurrentEncoderLayer.FinalWidth(encoder);
        if (c.Bool("CellFromEncoder", false) && !CheckCellFromEncoder(c, encoder, cell, hidden, final))
        {
            return;
        }

        if (final != hidden)
        {
            parameters.Add(LayerContext.Param(path + ".bridge.weight", Init.XavierUniform, hidden, final));
            parameters.Add(LayerContext.Param(path + ".bridge.bias", Init.Zeros, hidden));
        }

        long outputWidth = attention == Bahdanau ? hidden + m : hidden;
        Shape output = input.WithLast(new Dim(null, outputWidth, DimKind.Static));
        if (!c.CheckTensor("the output " + output.Named, output.MaxElements))
        {
            return;
        }

        long t = input.Dims[1].Size;
        long s = memory.Dims[1].Size;
        long flops = Sizes.Multiply(2, t, gates * hidden, cellInput + hidden);
        flops = Sizes.Add(flops, Sizes.Multiply(4, t, s, System.Math.Max(m, a)));
        string details = RecurrentCells.Name(cell) + ", attention " + AttentionNames[attention] + ", memory " + memoryName + (final != hidden ? ", bridge " + final.ToString(CultureInfo.InvariantCulture) + " -> " + hidden.ToString(CultureInfo.InvariantCulture) : string.Empty)
            + (c.Bool("CellFromEncoder", false) ? ", cell from " + memoryName : string.Empty);
        c.Complete(output, [LayerContext.Group(layer.Name, input, output, [.. parameters])], [("output", output)], flops, details);
    }

    /// <summary>MDSL1021 at CellFromEncoder unless the encoder and decoder are both LSTM and the encoder's final width is Hidden.</summary>
    private static bool CheckCellFromEncoder(LayerContext c, LayerSpec encoder, long cell, long hidden, long final)
    {
        long encoderCell = encoder.Int("Cell", RecurrentCells.Gru);
        string? problem = cell != RecurrentCells.Lstm ? "this decoder's Cell is " + RecurrentCells.Name(cell)
            : encoderCell != RecurrentCells.Lstm ? "'" + encoder.Name + "' is a " + RecurrentCells.Name(encoderCell) + " encoder (it has no cell state)"
            : final != hidden ? "the final cell of '" + encoder.Name + "' is " + final.ToString(CultureInfo.InvariantCulture) + " wide (Hidden × directions) and this decoder's Hidden is "
                + hidden.ToString(CultureInfo.InvariantCulture) + " (the cell has no bridge)"
            : null;
        if (problem is null)
        {
            return true;
        }

        c.Report(DiagnosticDescriptors.CellStateMismatch, c.At("CellFromEncoder"), c.Layer.Name, "an LSTM encoder and an LSTM decoder with the encoder's final width equal to Hidden", problem);
        return false;
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring)
    {
        long hidden = layer.Int("Hidden", 0);
        long attention = layer.Int("Attention", Bahdanau);
        return new RecurrentDecoderOptions(
            wiring.Source,
            wiring.Memory,
            Cell: (int)layer.Int("Cell", RecurrentCells.Gru),
            Hidden: hidden,
            Attention: (int)attention,
            AttentionSize: HasAttentionSize(attention) ? (layer.Int("AttentionSize", 0) is > 0 and var size ? size : hidden) : 0,
            CellFromEncoder: layer.Bool("CellFromEncoder", false));
    }

    public override string? OnnxUnsupported(LayerPlan layer) =>
        layer.OptionsOf<RecurrentDecoderOptions>().Attention == LuongConcat
            ? "Attention = RecurrentAttention.LuongConcat has no ONNX nodes yet (None, Bahdanau, LuongDot and LuongGeneral export)"
            : layer.OptionsOf<RecurrentDecoderOptions>().CellFromEncoder
                ? "CellFromEncoder = true has no ONNX nodes yet (the exported decoder starts its LSTM cell from zeros)"
                : null;

    /// <summary>The teacher-forced forward, unrolled over the declared target length (see <see cref="RecurrentDecoderOnnx"/>).</summary>
    public override OnnxFlow EmitOnnx(OnnxContext c, LayerPlan layer, string title) => RecurrentDecoderOnnx.Forward(c, layer, title);

    /// <summary>One position from each row's state (<c>{path}.past_state</c> in, <c>present_state</c> out; the cell too for LSTM).</summary>
    public override OnnxFlow EmitOnnxStep(OnnxContext c, LayerPlan layer, string title) => RecurrentDecoderOnnx.Step(c, layer, title);

    /// <summary>In the encoder graph: the initial state, the memory and its projection, which the step reads.</summary>
    public override void EmitOnnxMemoryCaches(OnnxContext c, LayerPlan layer) => RecurrentDecoderOnnx.MemoryCaches(c, layer);

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        var backward = new List<string>();
        Buffer output = RecurrentDecoder(e, layer, title, from.Buffer, from.Sequence!, from.Width, e.FlowOf(layer.Options.Memory!), backward);
        e.AddBackward(backward);
        return new Flow(output, from.Sequence, layer.Output.Last.Size);
    }

    /// <summary>A teacher-forced recurrent decoder over the embedded decoder input, started from the encoder's final state.</summary>
    private static Buffer RecurrentDecoder(TrainingEmitter e, LayerPlan layer, string title, Buffer input, Sequence sequence, long inputWidth, Flow memory, List<string> backward)
    {
        RecurrentDecoderOptions options = layer.OptionsOf<RecurrentDecoderOptions>();
        long hidden = options.Hidden;
        int attention = options.Attention;
        Sequence source = memory.Sequence!;
        long m = memory.Width;
        Buffer encoderFinal = memory.Final!;
        long finalWidth = memory.FinalWidth;
        string cell = options.Cell == 0 ? "Rnn" : options.Cell == 2 ? "Lstm" : "Gru";
        string[] attentionNames = KernelAttentionNames;
        string config = "__recurrentDecoder" + Literals.Int(e.Constants.Count);
        e.Constants.Add(new TrainingEmitter.TrainerConstant(K + "RecurrentDecoderConfig", config, "new " + K + "RecurrentDecoderConfig(" + K + "RecurrentDecoderCell." + cell + ", " + K + "DecoderAttention." + attentionNames[attention] + ", " + Literals.Int(inputWidth) + ", " + Literals.Int(hidden) + ", " + (attention == 0 ? "0" : Literals.Int(m)) + ", " + Literals.Int(options.AttentionSize) + ")"));
        e.LayerFields[layer.Name] = config;
        string maxB = Literals.Int(e.MaxBatch);
        string sizes = "B, " + sequence.T + ", " + source.T + ", " + config;
        string maxSizes = maxB + ", " + Literals.Int(sequence.MaxLength) + ", " + Literals.Int(source.MaxLength) + ", " + config;
        string field = "__recurrentSaved" + Literals.Int(e.SavedBlocks.Count);
        e.SavedBlocks.Add((field, K + "RecurrentDecoder.SavedLength(" + maxSizes + ")"));
        e.ScratchTerms.Add(K + "RecurrentDecoder.ScratchLength(" + maxSizes + ")");
        string saved = field + ".Span.Slice(0, " + K + "RecurrentDecoder.SavedLength(" + sizes + "))";
        string scratch = "__scratch.Span.Slice(0, " + K + "RecurrentDecoder.ScratchLength(" + sizes + "))";

        // Initial state: the encoder's final state, through the bridge tanh(W_b f + b_b) when the widths differ.
        Buffer initial = encoderFinal;
        var bridgeBackward = new List<string>();
        if (finalWidth != hidden)
        {
            ParameterPlan bridgeWeight = e.Parameter(layer.Path + ".bridge.weight");
            initial = e.Linear(layer.Path + ".bridge", "// " + layer.Name + ".bridge: s0 = tanh(W_b f + b_b) from " + options.Memory + "'s final state, " + TrainingEmitter.Range(bridgeWeight), encoderFinal, null, finalWidth, hidden, bridgeWeight, 0, e.Parameter(layer.Path + ".bridge.bias"), 0, 4, e.ForwardLines, bridgeBackward);
        }

        Buffer output = e.Alloc(layer.Path + ".output", sequence, layer.Output.Last.Size);
        string parameters = DecoderParameters(e, layer, attention, "P");
        string gradients = DecoderParameters(e, layer, attention, "G");
        string memoryA = attention == 0 ? "default" : memory.Buffer.A;
        string memoryD = attention == 0 ? "default" : memory.Buffer.D;
        string lengths = sequence.Lengths + ", " + source.Lengths;
        e.ForwardLines.Add(title + ": " + cell.ToUpperInvariant() + " decoder, attention " + attentionNames[attention] + " over " + options.Memory);
        string cellA = options.CellFromEncoder ? memory.FinalCell!.A : "default";
        string cellD = options.CellFromEncoder ? memory.FinalCell!.D : "default";
        e.ForwardLines.Add(K + "RecurrentDecoder.Forward(" + output.A + ", " + saved + ", " + scratch + ", " + input.A + ", " + initial.A + ", " + cellA + ", " + memoryA + ", " + parameters + ", " + lengths + ", " + sizes + ", " + Pool + ");");
        backward.Add(title);
        backward.Add(K + "RecurrentDecoder.Backward(" + input.D + ", " + initial.D + ", " + cellD + ", " + memoryD + ", " + gradients + ", " + scratch + ", " + output.D + ", " + input.A + ", " + memoryA + ", " + parameters + ", " + saved + ", " + lengths + ", " + sizes + ", " + Pool + ");");
        backward.AddRange(bridgeBackward);
        return output;
    }

    /// <summary>A RecurrentDecoderParameters (<paramref name="kind"/> "P") or RecurrentDecoderGradients ("G") initializer for the layer's tensors.</summary>
    internal static string DecoderParameters(TrainingEmitter e, LayerPlan layer, int attention, string kind)
    {
        string Slice(string suffix) => (kind == "P" ? TrainingEmitter.P(e.Parameter(layer.Path + suffix)) : TrainingEmitter.G(e.Parameter(layer.Path + suffix)));
        var parts = new List<string>
        {
            "WeightIh = " + Slice(".weight_ih"),
            "WeightHh = " + Slice(".weight_hh"),
            "BiasIh = " + Slice(".bias_ih"),
            "BiasHh = " + Slice(".bias_hh"),
        };
        if (HasAttentionSize(attention))
        {
            parts.Add("StateWeight = " + Slice(".attention.state_weight"));
            parts.Add("MemoryWeight = " + Slice(".attention.memory_weight"));
            parts.Add("ScoreVector = " + Slice(".attention.score"));
        }
        else if (attention == LuongGeneral)
        {
            parts.Add("MemoryWeight = " + Slice(".attention.memory_weight"));
        }

        if (attention >= LuongDot)
        {
            parts.Add("CombineWeight = " + Slice(".attention.combine_weight"));
        }

        return "new " + K + (kind == "P" ? "RecurrentDecoderParameters" : "RecurrentDecoderGradients") + " { " + string.Join(", ", parts) + " }";
    }

    public override bool CanDecodeStep(LayerPlan layer) => true;

    public override string? DecodeMemory(LayerPlan layer) => layer.Options.Memory;

    public override bool AttendsToMemoryWhenDecoding(LayerPlan layer) => layer.OptionsOf<RecurrentDecoderOptions>().Attention != NoAttention;

    public override long DecodeBufferWidth(LayerPlan layer) => System.Math.Max(layer.Output.Last.Size, layer.OptionsOf<RecurrentDecoderOptions>().Hidden);

    public override long DecodeReorderWidth(LayerPlan layer, long maxSteps) => layer.OptionsOf<RecurrentDecoderOptions>().Hidden;

    /// <summary>Per decoder: each row's state (and LSTM cell), the encoder states and their projection, the attention weights and scratch.</summary>
    public override void WriteDecoderFields(DecoderContext c, LayerPlan layer, int index)
    {
        string id = Literals.Int(index);
        foreach (string name in new[] { "__rnnState", "__rnnCell", "__rnnMemory", "__rnnProjected", "__rnnWeights", "__rnnScratch", "__rnnInitial" })
        {
            c.Writer.Line("private readonly float[] " + name + id + ";");
        }
    }

    public override void WriteDecoderAllocations(DecoderContext c, LayerPlan layer, int index)
    {
        string id = Literals.Int(index);
        string config = "Trainer." + c.Training.LayerFields[layer.Name];
        string h = Literals.Int(layer.OptionsOf<RecurrentDecoderOptions>().Hidden);
        string s = Literals.Int(c.MaxSource);
        string mWidth = config + ".MemorySize";
        c.Writer.Line("__rnnState" + id + " = new float[checked(rows * " + h + ")];");
        c.Writer.Line("__rnnCell" + id + " = new float[" + config + ".HasCellState ? checked(rows * " + h + ") : 0];");
        c.Writer.Line("__rnnMemory" + id + " = new float[checked(rows * " + s + " * " + mWidth + ")];");
        c.Writer.Line("__rnnProjected" + id + " = new float[checked(rows * " + s + " * " + config + ".ProjectedMemorySize)];");
        c.Writer.Line("__rnnWeights" + id + " = new float[" + config + ".Attention == " + K + "DecoderAttention.None ? 0 : checked(rows * " + s + ")];");
        c.Writer.Line("__rnnScratch" + id + " = new float[" + K + "RecurrentDecoder.StepScratchLength(maxRows, " + s + ", " + config + ")];");
        c.Writer.Line("__rnnInitial" + id + " = new float[" + Literals.Int(2 * c.MaxBatch * layer.OptionsOf<RecurrentDecoderOptions>().Hidden) + "];");
    }

    /// <summary>The encoder states repeated per hypothesis, projected once for the attention, and the initial state from the encoder's final state.</summary>
    public override void WriteDecoderBegin(DecoderContext c, LayerPlan layer, int index)
    {
        string id = Literals.Int(index);
        string config = "Trainer." + c.Training.LayerFields[layer.Name];
        string encoder = layer.Options.Memory!;
        int memoryOffset = c.Training.Output(encoder).Offset;
        TrainingEmitter.Flow encoderFlow = c.Training.FlowOf(encoder);
        int finalOffset = encoderFlow.Final!.Offset;
        long finalWidth = encoderFlow.FinalWidth;
        string h = Literals.Int(layer.OptionsOf<RecurrentDecoderOptions>().Hidden);
        string parameters = DecoderParameters(c.Training, layer, layer.OptionsOf<RecurrentDecoderOptions>().Attention, "P");
        c.Writer.Line("// " + layer.Name + ": encoder states repeated per hypothesis, their projection for the attention, and the initial state from " + encoder + "'s final state");
        c.Writer.Open();
        c.Writer.Line("int M = " + config + ".MemorySize;");
        c.Writer.Open("if (M > 0)");
        c.Writer.Line("global::ModelDsl.Decoding.HypothesisRows.Repeat(a.Slice(" + Literals.Int(memoryOffset) + ", B * S * M), __rnnMemory" + id + ", B, width, S * M);");
        c.Writer.Close();
        c.Writer.Line();
        c.Writer.Line("int P = " + config + ".ProjectedMemorySize;");
        c.Writer.Open("if (P > 0)");
        c.Writer.Line(K + "RecurrentDecoder.ProjectMemory(" + AsSpan + "__rnnProjected" + id + ", 0, __rows * S * P), " + AsSpan + "__rnnMemory" + id + ", 0, __rows * S * M), " + parameters + ", __rows, S, " + config + ", __trainer.Pool);");
        c.Writer.Close();
        c.Writer.Line();
        if (finalWidth != layer.OptionsOf<RecurrentDecoderOptions>().Hidden)
        {
            ParameterPlan bridgeWeight = c.Training.Parameter(layer.Path + ".bridge.weight");
            ParameterPlan bridgeBias = c.Training.Parameter(layer.Path + ".bridge.bias");
            c.Writer.Line(K + "Linear.Forward(" + AsSpan + "__rnnInitial" + id + ", 0, B * " + h + "), a.Slice(" + Literals.Int(finalOffset) + ", B * " + Literals.Int(finalWidth) + "), " + TrainingEmitter.P(bridgeWeight) + ", " + TrainingEmitter.P(bridgeBias) + ", B, " + Literals.Int(finalWidth) + ", " + h + ", " + K + "ActivationKind.Tanh, " + AsSpan + "__rnnInitial" + id + ", " + Literals.Int(c.MaxBatch * layer.OptionsOf<RecurrentDecoderOptions>().Hidden) + ", B * " + h + "), __trainer.Pool);");
            c.Writer.Line("global::ModelDsl.Decoding.HypothesisRows.Repeat(__rnnInitial" + id + ", __rnnState" + id + ", B, width, " + h + ");");
        }
        else
        {
            c.Writer.Line("a.Slice(" + Literals.Int(finalOffset) + ", B * " + h + ").CopyTo(" + AsSpan + "__rnnInitial" + id + ", 0, B * " + h + "));");
            c.Writer.Line("global::ModelDsl.Decoding.HypothesisRows.Repeat(__rnnInitial" + id + ", __rnnState" + id + ", B, width, " + h + ");");
        }

        if (layer.OptionsOf<RecurrentDecoderOptions>().CellFromEncoder)
        {
            // The planner checked the encoder's final cell is Hidden wide: it starts each hypothesis's cell.
            c.Writer.Line("a.Slice(" + Literals.Int(encoderFlow.FinalCell!.Offset) + ", B * " + h + ").CopyTo(" + AsSpan + "__rnnInitial" + id + ", 0, B * " + h + "));");
            c.Writer.Line("global::ModelDsl.Decoding.HypothesisRows.Repeat(__rnnInitial" + id + ", __rnnCell" + id + ", B, width, " + h + ");");
        }
        else
        {
            c.Writer.Line("global::System.Array.Clear(__rnnCell" + id + ");");
        }
        c.Writer.Close();
    }

    public override void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title)
    {
        string id = Literals.Int(index);
        string config = "Trainer." + c.Training.LayerFields[layer.Name];
        long outputWidth = layer.Output.Last.Size;
        string h = Literals.Int(layer.OptionsOf<RecurrentDecoderOptions>().Hidden);
        bool attention = layer.OptionsOf<RecurrentDecoderOptions>().Attention != 0;
        c.Writer.Line(title + ": one recurrent step from each row's state" + (attention ? ", attending over the encoder states" : string.Empty));
        c.Writer.Line(K + "RecurrentDecoder.Step(" + AsSpan + "__rnnState" + id + ", 0, R * " + h + "), " + AsSpan + "__rnnCell" + id + ", 0, " + config + ".HasCellState ? R * " + h + " : 0), " + DecoderContext.Buffer(c.Other, "R * " + Literals.Int(outputWidth)) + ", "
            + (attention ? AsSpan + "__rnnWeights" + id + ", 0, R * __s)" : "default") + ", " + AsSpan + "__rnnScratch" + id + ", 0, " + K + "RecurrentDecoder.StepScratchLength(R, __s, " + config + ")), " + DecoderContext.Buffer(c.Current, "R * " + Literals.Int(c.Width)) + ", "
            + AsSpan + "__rnnMemory" + id + ", 0, R * __s * " + config + ".MemorySize), " + AsSpan + "__rnnProjected" + id + ", 0, R * __s * " + config + ".ProjectedMemorySize), " + AsSpan + "__sourceLengths, 0, R), " + DecoderParameters(c.Training, layer, layer.OptionsOf<RecurrentDecoderOptions>().Attention, "P") + ", R, __s, " + config + ", pool);");
        if (attention && layer == c.LastAttention)
        {
            c.Writer.Open("for (int r = 0; r < R; r++)");
            c.Writer.Line(AsSpan + "__rnnWeights" + id + ", r * __s, __s).CopyTo(" + AsSpan + "__history, ((r * " + Literals.Int(c.Decoding.Target.MaxLength) + ") + step) * " + Literals.Int(c.Decoding.MemorySequence!.MaxLength) + ", __s));");
            c.Writer.Close();
        }

        c.Current = c.Other;
        c.Width = outputWidth;
    }

    /// <summary>The states follow their hypotheses.</summary>
    public override void WriteDecoderReorder(DecoderContext c, LayerPlan layer, int index)
    {
        string h = Literals.Int(layer.OptionsOf<RecurrentDecoderOptions>().Hidden);
        c.Writer.Line("global::ModelDsl.Decoding.HypothesisRows.Gather(__rnnState" + Literals.Int(index) + ", sources, " + h + ", " + h + ", __reorder);");
        c.Writer.Open("if (__rnnCell" + Literals.Int(index) + ".Length > 0)");
        c.Writer.Line("global::ModelDsl.Decoding.HypothesisRows.Gather(__rnnCell" + Literals.Int(index) + ", sources, " + h + ", " + h + ", __reorder);");
        c.Writer.Close();
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary>
    /// <c>nn.RNNCell</c> / <c>nn.GRUCell</c> / <c>nn.LSTMCell</c> named <c>{path}</c> with its attention Parameters under <c>{path}.attention</c>
    /// and the bridge <c>{path}.bridge</c> (an <c>nn.Linear</c>), run by the module's <c>recurrent_decoder</c> loop.
    /// </summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer)
    {
        string self = PyTorchContext.Self(layer);
        string[] cells = ["RNNCell", "GRUCell", "LSTMCell"];
        string[] modes = KernelAttentionNames;
        bool first = true;
        foreach (ParameterPlan parameter in layer.Groups[0].Parameters)
        {
            string name = parameter.Name.Substring(layer.Path.Length + 1);
            if (name == "weight_ih")
            {
                c.Init.Add(self + " = nn." + cells[layer.OptionsOf<RecurrentDecoderOptions>().Cell] + "(" + PyTorchContext.Int(parameter.Shape[1]) + ", " + PyTorchContext.Int(layer.OptionsOf<RecurrentDecoderOptions>().Hidden) + ")");
            }
            else if (name.StartsWith("attention.", System.StringComparison.Ordinal))
            {
                if (first)
                {
                    c.Init.Add(self + ".attention = nn.Module()");
                    first = false;
                }

                c.Init.Add(self + "." + name + " = nn.Parameter(nn.init.xavier_uniform_(torch.empty(" + PyTorchContext.Int(parameter.Shape[0]) + ", " + PyTorchContext.Int(parameter.Shape[1]) + ")))");
            }
            else if (name == "bridge.weight")
            {
                c.Init.Add(self + ".bridge = nn.Linear(" + PyTorchContext.Int(parameter.Shape[1]) + ", " + PyTorchContext.Int(parameter.Shape[0]) + ")");
            }
        }

        LayerPlan memory = c.Layer(layer.Options.Memory!);
        c.Forward.Add(PyTorchContext.Out(layer) + " = recurrent_decoder(" + self + ", \"" + modes[layer.OptionsOf<RecurrentDecoderOptions>().Attention] + "\", " + c.In(layer) + ", "
            + PyTorchContext.Lengths(PyTorchContext.SequenceOf(layer)) + ", " + PyTorchContext.Out(memory) + ", " + PyTorchContext.Lengths(PyTorchContext.SequenceOf(memory)) + ", "
            + PyTorchContext.Final(memory) + (layer.OptionsOf<RecurrentDecoderOptions>().CellFromEncoder ? ", " + RecurrentEncoderLayer.FinalCell(memory) : string.Empty) + ")");
    }
}

/// <summary>[RecurrentDecoder]'s options.</summary>
/// <param name="Cell">The <c>RecurrentCell</c> value (Rnn 0, Gru 1, Lstm 2).</param>
/// <param name="Attention">The <c>RecurrentAttention</c> value (None 0, Bahdanau 1, LuongDot 2, LuongGeneral 3, LuongConcat 4).</param>
/// <param name="AttentionSize">The scoring width of Bahdanau and Luong concat (default the hidden size; 0 for other attentions).</param>
/// <param name="CellFromEncoder">The LSTM cell starts from the encoder's final cell (the planner checked both are LSTM of one width).</param>
internal sealed record RecurrentDecoderOptions(string? Source, string? Memory, int Cell, long Hidden, int Attention, long AttentionSize, bool CellFromEncoder) : LayerOptions(Source, Memory);
