using ModelDsl.Generator.Common;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Layers;

/// <summary>[Input(MaxLength)] token ids or [Input(Features = N)] feature vectors (optionally a sequence of them).</summary>
internal sealed class InputLayer : LayerDescriptor
{
    public static readonly InputLayer Instance = new();

    private InputLayer()
    {
    }

    public override LayerKind Kind => LayerKind.Input;

    public override string HandleType => "TokenInput";

    public override string[] HandleTypes => ["TokenInput", "FeatureInput"];

    /// <summary>A feature input (Features written and non-zero) is a <c>FeatureInput</c>; token ids are a <c>TokenInput</c>.</summary>
    public override string HandleTypeFor(EquatableArray<ArgumentSpec> arguments)
    {
        foreach (ArgumentSpec argument in arguments)
        {
            if (argument.Name == "Features" && argument.Kind == ArgumentKind.Int && argument.Int != 0)
            {
                return "FeatureInput";
            }
        }

        return "TokenInput";
    }
}
