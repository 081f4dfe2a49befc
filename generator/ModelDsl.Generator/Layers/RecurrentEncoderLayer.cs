using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

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
                parameters.Add(LayerContext.Param(path + ".weight_ih" + suffix, InitKind.XavierUniform, gates * hidden, width));
                parameters.Add(LayerContext.Param(path + ".weight_hh" + suffix, InitKind.XavierUniform, gates * hidden, hidden));
                parameters.Add(LayerContext.Param(path + ".bias_ih" + suffix, InitKind.Zeros, gates * hidden));
                parameters.Add(LayerContext.Param(path + ".bias_hh" + suffix, InitKind.Zeros, gates * hidden));
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

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions neutral) => neutral with
    {
        Layers = layer.Int("Layers", 1),
        Cell = (int)layer.Int("Cell", RecurrentCells.Gru),
        Hidden = layer.Int("Hidden", 0),
        Bidirectional = layer.Bool("Bidirectional", false),
    };
}
