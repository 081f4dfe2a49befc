using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[RecurrentEncoder]: stacked, optionally bidirectional RNN/GRU/LSTM layers (PyTorch's <c>nn.RNN</c>/<c>nn.GRU</c>/<c>nn.LSTM</c>).</summary>
internal sealed class RecurrentEncoderLayer : LayerDescriptor
{
    public static readonly RecurrentEncoderLayer Instance = new();

    private RecurrentEncoderLayer()
    {
    }

    public override LayerKind Kind => LayerKind.RecurrentEncoder;

    public override string HandleType => "RecurrentStack";
}
