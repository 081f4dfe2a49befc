using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[RecurrentDecoder]: a recurrent decoder started from a [RecurrentEncoder]'s final state, with optional Bahdanau or Luong attention.</summary>
internal sealed class RecurrentDecoderLayer : LayerDescriptor
{
    public static readonly RecurrentDecoderLayer Instance = new();

    private RecurrentDecoderLayer()
    {
    }

    public override LayerKind Kind => LayerKind.RecurrentDecoder;

    public override string HandleType => "RecurrentDecoderLayer";
}
