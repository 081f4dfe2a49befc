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
/// [RecurrentEncoder(Hidden)]: stacked, optionally bidirectional RNN/GRU/LSTM layers (PyTorch's <c>nn.RNN</c>/<c>nn.GRU</c>/<c>nn.LSTM</c>
/// names: <c>{path}.weight_ih_l{k}[_reverse]</c>, ...). Output <c>[B, T, Hidden × directions]</c>; its final state starts a [RecurrentDecoder].
/// </summary>
internal sealed class RecurrentEncoderLayer : LayerDescriptor
{
    public static readonly RecurrentEncoderLayer Instance = new();

    private RecurrentEncoderLayer()
    {
    }

    public override LayerKind Kind => LayerKind.RecurrentEncoder;

    public override string HandleType => "RecurrentStack";

    /// <summary>The width of the final state <c>[B, F]</c> a decoder starts from.</summary>
    public static long FinalWidth(LayerSpec encoder) => encoder.Int("Hidden", 0) * (encoder.Bool("Bidirectional", false) ? 2 : 1);

    public override void Plan(LayerContext c)
    {
        LayerSpec layer = c.Layer;
        Shape input = c.Input;
        if (!input.IsFloatSequence)
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, layer.AttributeLocation, layer.Name, "RecurrentEncoder", "a float sequence [B, T, E]", c.From, input.Named);
            return;
        }

        long hidden = c.Int("Hidden", 0);
        long layers = c.Int("Layers", 1);
        long cell = c.Int("Cell", RecurrentCells.Gru);
        bool ok = c.CheckRange("Hidden", hidden, 1, "at least 1");
        ok &= c.CheckRange("Layers", layers, 1, "at least 1");
        if (cell is < 0 or > 2)
        {
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Cell"), layer.Name, "Cell", cell, "a RecurrentCell value");
            ok = false;
        }

        if (!ok)
        {
            return;
        }

        bool bidirectional = c.Bool("Bidirectional", false);
        long directions = bidirectional ? 2 : 1;
        long gates = RecurrentCells.Gates(cell);
        string path = c.Path;
        var parameters = new List<PendingParameter>();
        long inputWidth = input.Last.Size;
        long flops = 0;
        for (long k = 0; k < layers; k++)
        {
            long width = k == 0 ? inputWidth : hidden * directions;
            for (long direction = 0; direction < directions; direction++)
            {
                string suffix = "_l" + k.ToString(CultureInfo.InvariantCulture) + (direction == 1 ? "_reverse" : string.Empty);
                // The per-tensor limit, per weight: the message names the layer and the tensor.
                if (!c.CheckTensor("weight_ih" + suffix + " [" + Sizes.Multiply(gates, hidden).ToString(CultureInfo.InvariantCulture) + ", " + width.ToString(CultureInfo.InvariantCulture) + "]", Sizes.Multiply(gates, hidden, width))
                    || !c.CheckTensor("weight_hh" + suffix + " [" + Sizes.Multiply(gates, hidden).ToString(CultureInfo.InvariantCulture) + ", " + hidden.ToString(CultureInfo.InvariantCulture) + "]", Sizes.Multiply(gates, hidden, hidden)))
                {
                    return;
                }

                parameters.Add(LayerContext.Param(path + ".weight_ih" + suffix, Init.XavierUniform, gates * hidden, width));
                parameters.Add(LayerContext.Param(path + ".weight_hh" + suffix, Init.XavierUniform, gates * hidden, hidden));
                parameters.Add(LayerContext.Param(path + ".bias_ih" + suffix, Init.Zeros, gates * hidden));
                parameters.Add(LayerContext.Param(path + ".bias_hh" + suffix, Init.Zeros, gates * hidden));
                flops = Sizes.Add(flops, Sizes.Multiply(2, input.Dims[1].Size, gates * hidden, width + hidden));
            }
        }

        Shape output = input.WithLast(new Dim(layer.Argument("Hidden")?.Symbol is { } symbol && directions == 1 ? symbol : null, hidden * directions, DimKind.Static));
        if (!c.CheckTensor("the output " + output.Named, output.MaxElements))
        {
            return;
        }

        string details = RecurrentCells.Name(cell) + ", " + layers.ToString(CultureInfo.InvariantCulture) + " layer(s)" + (bidirectional ? ", bidirectional" : string.Empty) + ", final state [B, " + (hidden * directions).ToString(CultureInfo.InvariantCulture) + "]";
        c.Complete(output, [LayerContext.Group(layer.Name, input, output, [.. parameters])], [("output", output)], flops, details);
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring) => new RecurrentEncoderOptions(
        wiring.Source,
        wiring.Memory,
        Layers: layer.Int("Layers", 1),
        Cell: (int)layer.Int("Cell", RecurrentCells.Gru),
        Hidden: layer.Int("Hidden", 0),
        Bidirectional: layer.Bool("Bidirectional", false));

    public override string? OnnxUnsupported(LayerPlan layer) => null;

    /// <summary>ONNX's RNN/GRU/LSTM operator per layer (both directions in one node) with the rows' lengths; the final state for [FinalStatePool].</summary>
    public override OnnxFlow EmitOnnx(OnnxContext c, LayerPlan layer, string title)
    {
        OnnxFlow from = c.SourceOf(layer);
        RecurrentEncoderOptions options = layer.OptionsOf<RecurrentEncoderOptions>();
        int directions = options.Bidirectional ? 2 : 1;
        c.Line(title);
        c.Line("g.Recurrent(" + OnnxContext.Quote(layer.Path) + ", " + OnnxContext.Quote(from.Value) + ", " + OnnxContext.Lengths(from.Sequence!) + ", "
            + Literals.Int(options.Cell) + ", " + Literals.Int(options.Hidden) + ", " + (options.Bidirectional ? "true" : "false") + ",");
        c.Writer.Indent().Line("[");
        c.Writer.Indent();
        for (long k = 0; k < options.Layers; k++)
        {
            for (int direction = 0; direction < directions; direction++)
            {
                string suffix = "_l" + Literals.Int(k) + (direction == 1 ? "_reverse" : string.Empty);
                c.Line("(" + OnnxContext.ParamOf(layer, layer.Path + ".weight_ih" + suffix) + ", " + OnnxContext.ParamOf(layer, layer.Path + ".weight_hh" + suffix) + ", "
                    + OnnxContext.ParamOf(layer, layer.Path + ".bias_ih" + suffix) + ", " + OnnxContext.ParamOf(layer, layer.Path + ".bias_hh" + suffix) + "),");
            }
        }

        c.Writer.Unindent().Line("]);").Unindent();
        return new OnnxFlow(layer.Path, from.Sequence, options.Hidden * directions) { Final = layer.Path + "/final" };
    }

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        var backward = new List<string>();
        Buffer output = RecurrentEncoder(e, layer, title, from.Buffer, from.Sequence!, from.Width, backward, CellWanted(e.Layers, layer.Name), out Buffer final, out Buffer? finalCell);
        e.AddBackward(backward);
        RecurrentEncoderOptions options = layer.OptionsOf<RecurrentEncoderOptions>();
        long width = options.Hidden * (options.Bidirectional ? 2 : 1);
        return new Flow(output, from.Sequence, width) { Final = final, FinalCell = finalCell, FinalWidth = width };
    }

    /// <summary>Whether a [RecurrentDecoder] reading the encoder <paramref name="encoder"/> starts its cell from the encoder's final cell.</summary>
    internal static bool CellWanted(IEnumerable<LayerPlan> layers, string encoder)
    {
        foreach (LayerPlan other in layers)
        {
            if (other.Options is RecurrentDecoderOptions { CellFromEncoder: true } decoder && decoder.Memory == encoder)
            {
                return true;
            }
        }

        return false;
    }

    private static string CellKernel(int cell) => K + (cell == 0 ? "Rnn" : cell == 2 ? "Lstm" : "Gru");

    /// <summary>
    /// Stacked, optionally bidirectional RNN/GRU/LSTM layers; returns the last layer's final state (forward then backward) in
    /// <paramref name="lastFinal"/> and, when <paramref name="cellWanted"/> (LSTM), its final cell the same way in <paramref name="lastFinalCell"/>.
    /// </summary>
    private static Buffer RecurrentEncoder(TrainingEmitter e, LayerPlan layer, string title, Buffer input, Sequence sequence, long inputWidth, List<string> backward, bool cellWanted, out Buffer lastFinal, out Buffer? lastFinalCell)
    {
        RecurrentEncoderOptions options = layer.OptionsOf<RecurrentEncoderOptions>();
        string kernel = CellKernel(options.Cell);
        bool lstm = options.Cell == 2;
        long hidden = options.Hidden;
        long directions = options.Bidirectional ? 2 : 1;
        string H = Literals.Int(hidden);
        string T = sequence.T;
        string maxT = Literals.Int(sequence.MaxLength);
        string maxB = Literals.Int(e.MaxBatch);
        e.ScratchTerms.Add(kernel + ".ScratchLength(" + maxB + ", " + maxT + ", " + H + ")");
        string scratch = "__scratch.Span.Slice(0, " + kernel + ".ScratchLength(B, " + T + ", " + H + "))";
        e.ForwardLines.Add(title + ": " + (lstm ? "LSTM" : options.Cell == 0 ? "RNN" : "GRU") + ", " + Literals.Int(options.Layers) + " layer(s)" + (directions == 2 ? ", bidirectional" : string.Empty));
        Buffer x = input;
        long width = inputWidth;
        Buffer? final = null;
        Buffer? finalCellOut = null;
        var blocks = new List<List<string>>();
        for (long k = 0; k < options.Layers; k++)
        {
            var outputs = new Buffer[directions];
            var finals = new Buffer[directions];
            var finalCells = new Buffer?[directions];
            for (long direction = 0; direction < directions; direction++)
            {
                string suffix = "_l" + Literals.Int(k) + (direction == 1 ? "_reverse" : string.Empty);
                string name = layer.Path + suffix;
                ParameterPlan wih = e.Parameter(layer.Path + ".weight_ih" + suffix);
                ParameterPlan whh = e.Parameter(layer.Path + ".weight_hh" + suffix);
                ParameterPlan bih = e.Parameter(layer.Path + ".bias_ih" + suffix);
                ParameterPlan bhh = e.Parameter(layer.Path + ".bias_hh" + suffix);
                Buffer output = e.Alloc(name + ".output", sequence, hidden);
                Buffer finalState = e.Alloc(name + ".final", null, hidden);
                Buffer? finalCell = lstm ? e.Alloc(name + ".final_cell", null, hidden) : null;
                string field = "__recurrentSaved" + Literals.Int(e.SavedBlocks.Count);
                e.SavedBlocks.Add((field, kernel + ".SavedLength(" + maxB + ", " + maxT + ", " + H + ")"));
                string saved = field + ".Span.Slice(0, " + kernel + ".SavedLength(B, " + T + ", " + H + "))";
                string dims = sequence.Lengths + ", B, " + T + ", " + Literals.Int(width) + ", " + H + ", " + (direction == 1 ? "true" : "false") + ", " + Pool;
                string at = "// " + layer.Name + " layer " + Literals.Int(k) + (direction == 1 ? " (backward direction)" : string.Empty) + ", " + TrainingEmitter.Range(wih);
                e.ForwardLines.Add(at);
                e.ForwardLines.Add(kernel + ".Forward(" + output.A + ", " + finalState.A + ", " + (lstm ? finalCell!.A + ", " : string.Empty) + saved + ", " + scratch + ", " + x.A + ", default, " + (lstm ? "default, " : string.Empty) + TrainingEmitter.P(wih) + ", " + TrainingEmitter.P(whh) + ", " + TrainingEmitter.P(bih) + ", " + TrainingEmitter.P(bhh) + ", " + dims + ");");
                blocks.Add(
                [
                    at,
                    kernel + ".Backward(" + x.OptionalD + ", " + TrainingEmitter.G(wih) + ", " + TrainingEmitter.G(whh) + ", " + TrainingEmitter.G(bih) + ", " + TrainingEmitter.G(bhh) + ", default, " + (lstm ? "default, " : string.Empty) + scratch + ", " + output.D + ", " + finalState.D + ", " + (lstm ? finalCell!.D + ", " : string.Empty) + x.A + ", " + TrainingEmitter.P(wih) + ", " + TrainingEmitter.P(whh) + ", " + saved + ", " + dims + ");",
                ]);
                outputs[direction] = output;
                finals[direction] = finalState;
                finalCells[direction] = finalCell;
            }

            if (directions == 2)
            {
                Buffer joined = e.Alloc(layer.Path + "_l" + Literals.Int(k) + ".output", sequence, 2 * hidden);
                Buffer joinedFinal = e.Alloc(layer.Path + "_l" + Literals.Int(k) + ".final", null, 2 * hidden);
                e.ForwardLines.Add("// " + layer.Name + " layer " + Literals.Int(k) + ": [forward; backward] states and final states");
                e.ForwardLines.Add(K + "Concat.Forward(" + joined.A + ", " + outputs[0].A + ", " + outputs[1].A + ", " + sequence.BT + ", " + H + ", " + H + ");");
                e.ForwardLines.Add(K + "Concat.Forward(" + joinedFinal.A + ", " + finals[0].A + ", " + finals[1].A + ", B, " + H + ", " + H + ");");
                blocks.Add(
                [
                    "// " + layer.Name + " layer " + Literals.Int(k) + ": split the concatenations",
                    K + "Concat.Backward(" + outputs[0].D + ", " + outputs[1].D + ", " + joined.D + ", " + sequence.BT + ", " + H + ", " + H + ");",
                    K + "Concat.Backward(" + finals[0].D + ", " + finals[1].D + ", " + joinedFinal.D + ", B, " + H + ", " + H + ");",
                ]);
                x = joined;
                final = joinedFinal;
                if (lstm && cellWanted && k == options.Layers - 1)
                {
                    // The decoder starts its cell from [forward final cell; backward final cell], as its state from the final states.
                    Buffer joinedCell = e.Alloc(layer.Path + "_l" + Literals.Int(k) + ".final_cell", null, 2 * hidden);
                    e.ForwardLines.Add("// " + layer.Name + " layer " + Literals.Int(k) + ": [forward; backward] final cells (the decoder's initial cell)");
                    e.ForwardLines.Add(K + "Concat.Forward(" + joinedCell.A + ", " + finalCells[0]!.A + ", " + finalCells[1]!.A + ", B, " + H + ", " + H + ");");
                    blocks.Add(
                    [
                        "// " + layer.Name + " layer " + Literals.Int(k) + ": split the final cells' concatenation",
                        K + "Concat.Backward(" + finalCells[0]!.D + ", " + finalCells[1]!.D + ", " + joinedCell.D + ", B, " + H + ", " + H + ");",
                    ]);
                    finalCellOut = joinedCell;
                }
            }
            else
            {
                x = outputs[0];
                final = finals[0];
                finalCellOut = lstm && cellWanted ? finalCells[0] : null;
            }

            width = hidden * directions;
        }

        for (int i = blocks.Count - 1; i >= 0; i--)
        {
            backward.AddRange(blocks[i]);
        }

        lastFinal = final!;
        lastFinalCell = finalCellOut;
        return x;
    }

    // Export: PyTorch

    public override string? PyTorchUnsupported(LayerPlan layer) => null;

    /// <summary><c>nn.RNN</c> / <c>nn.GRU</c> / <c>nn.LSTM</c> (batch_first) over the packed valid positions; also the final state.</summary>
    public override void WritePyTorch(PyTorchContext c, LayerPlan layer)
    {
        RecurrentEncoderOptions o = layer.OptionsOf<RecurrentEncoderOptions>();
        c.Init.Add(PyTorchContext.Self(layer) + " = nn." + (o.Cell == RecurrentCells.Gru ? "GRU" : RecurrentCells.Name(o.Cell)) + "(" + PyTorchContext.Int(layer.Input.Last.Size) + ", "
            + PyTorchContext.Int(o.Hidden) + ", num_layers=" + PyTorchContext.Int(o.Layers) + ", bidirectional=" + PyTorchContext.Bool(o.Bidirectional) + ", batch_first=True)");
        bool cell = CellWanted(c.Plan.Layers, layer.Name);
        c.Forward.Add(PyTorchContext.Out(layer) + ", " + PyTorchContext.Final(layer) + (cell ? ", " + FinalCell(layer) : string.Empty) + " = recurrent_encoder(" + PyTorchContext.Self(layer) + ", " + c.In(layer) + ", "
            + PyTorchContext.Lengths(PyTorchContext.SequenceOf(layer)) + (cell ? ", cell=True" : string.Empty) + ")");
    }

    /// <summary>The exported module's variable holding the encoder's final cell (CellFromEncoder).</summary>
    internal static string FinalCell(LayerPlan encoder) => "final_cell_" + encoder.Path;
}

/// <summary>[RecurrentEncoder]'s options.</summary>
/// <param name="Cell">The <c>RecurrentCell</c> value (Rnn 0, Gru 1, Lstm 2).</param>
/// <param name="Hidden">Hidden size per direction.</param>
internal sealed record RecurrentEncoderOptions(string? Source, string? Memory, long Layers, int Cell, long Hidden, bool Bidirectional) : LayerOptions(Source, Memory);
