using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [BatchNorm]: batch normalization over the last dimension (PyTorch's <c>nn.BatchNorm1d</c>, eps 1e-5): weight and bias,
/// and the running statistics <c>{path}.running_mean</c> / <c>running_var</c> in the state block, updated with <c>Momentum</c>.
/// </summary>
internal sealed class BatchNormLayer : LayerDescriptor
{
    /// <summary>PyTorch's default momentum of the running statistics.</summary>
    public const float DefaultMomentum = 0.1f;

    public static readonly BatchNormLayer Instance = new();

    private BatchNormLayer()
    {
    }

    public override LayerKind Kind => LayerKind.BatchNorm;

    public override string HandleType => "Norm";

    public override void Plan(LayerContext c)
    {
        if (!c.RequireFloat() || !c.CheckProbability("Momentum", c.Float("Momentum", DefaultMomentum)))
        {
            return;
        }

        long width = c.Input.Last.Size;
        c.AddState(c.Path + ".running_mean", [width], InitKind.Zeros);
        c.AddState(c.Path + ".running_var", [width], InitKind.Ones);
        LayerNormLayer.PlanNorm(c, "batch statistics");
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions neutral) => neutral with { Momentum = layer.Float("Momentum", DefaultMomentum) };
}
