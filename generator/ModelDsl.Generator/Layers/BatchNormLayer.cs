using System.Collections.Generic;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Sequence = ModelDsl.Generator.Emit.TrainingEmitter.Sequence;

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
        c.AddState(c.Path + ".running_mean", [width], Init.Zeros);
        c.AddState(c.Path + ".running_var", [width], Init.Ones);
        LayerNormLayer.PlanNorm(c, "batch statistics");
    }

    public override LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring) =>
        new BatchNormOptions(wiring.Source, wiring.Memory, layer.Float("Momentum", DefaultMomentum));

    public override bool UsesBatchStatistics => true;

    public override Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title)
    {
        Flow from = e.SourceOf(layer);
        var backward = new List<string>();
        Buffer output = BatchNorm(e, layer, title, from.Buffer, from.Sequence, from.Width, backward);
        e.AddBackward(backward);
        return new Flow(output, from.Sequence, from.Width);
    }

    /// <summary>
    /// [BatchNorm] over the last dimension (PyTorch's <c>nn.BatchNorm1d</c>, eps 1e-5): with <c>batchStatistics</c> the batch mean
    /// and biased variance normalize and the running statistics in the state block are updated (unbiased variance, the declared
    /// momentum); otherwise the running statistics normalize. On a sequence only the valid positions count: they are packed
    /// (<c>__Pack</c>), normalized as <c>n</c> rows and put back; padded positions give 0 and get no gradient.
    /// </summary>
    private static Buffer BatchNorm(TrainingEmitter e, LayerPlan layer, string title, Buffer input, Sequence? sequence, long width, List<string> backward)
    {
        ParameterPlan weight = e.LayerParameter(layer, ".weight")!;
        ParameterPlan bias = e.LayerParameter(layer, ".bias")!;
        ParameterPlan runningMean = State(layer, ".running_mean");
        ParameterPlan runningVar = State(layer, ".running_var");
        string C = Literals.Int(width);
        Buffer output = e.Alloc(layer.Path + ".output", sequence, width);
        Buffer mean = e.Alloc(layer.Path + ".mean", width, C);
        Buffer rstd = e.Alloc(layer.Path + ".rstd", width, C);
        string running = "s.Slice(" + Literals.Int(runningMean.Offset) + ", " + C + "), s.Slice(" + Literals.Int(runningVar.Offset) + ", " + C + ")";
        string momentum = Literals.Float(layer.OptionsOf<BatchNormOptions>().Momentum);
        string comment = title + ", " + TrainingEmitter.Range(weight) + ", " + TrainingEmitter.Range(bias) + ", running statistics state[" + Literals.Int(runningMean.Offset) + ".." + Literals.Int(runningVar.Offset + runningVar.Length) + "), momentum " + TrainingEmitter.Number(layer.OptionsOf<BatchNormOptions>().Momentum);
        if (sequence is null)
        {
            e.ForwardLines.Add(comment + ": batch statistics (updating the running ones) when batchStatistics, else the running statistics");
            e.ForwardLines.Add(K + "BatchNorm.Forward(" + output.A + ", " + mean.A + ", " + rstd.A + ", " + running + ", " + input.A + ", " + TrainingEmitter.P(weight) + ", " + TrainingEmitter.P(bias) + ", B, " + C + ", batchStatistics, " + momentum + ", pool: " + Pool + ");");
            backward.Add(title);
            backward.Add(K + "BatchNorm.Backward(" + input.D + ", " + TrainingEmitter.G(weight) + ", " + TrainingEmitter.G(bias) + ", " + output.D + ", " + input.A + ", " + TrainingEmitter.P(weight) + ", " + mean.A + ", " + rstd.A + ", B, " + C + ", batchStatistics, " + Pool + ");");
            return output;
        }

        e.UsesPacking = true;
        string n = "n * " + C;
        Buffer packedInput = e.Alloc(layer.Path + ".packed_input", sequence, width) with { Length = n };
        Buffer packedOutput = e.Alloc(layer.Path + ".packed_output", sequence, width) with { Length = n };
        string positions = "int n = __Positions(" + sequence.Lengths + ", B);";
        string layout = sequence.T + ", " + sequence.Lengths + ", B, " + C;
        e.ForwardLines.Add(comment + ": over the n valid positions of " + sequence.Input.Name + " (packed; padding is not counted and gives 0)");
        e.ForwardLines.Add("{");
        e.ForwardLines.Add("    " + positions);
        e.ForwardLines.Add("    __Pack(" + packedInput.A + ", " + input.A + ", " + layout + ");");
        e.ForwardLines.Add("    " + K + "BatchNorm.Forward(" + packedOutput.A + ", " + mean.A + ", " + rstd.A + ", " + running + ", " + packedInput.A + ", " + TrainingEmitter.P(weight) + ", " + TrainingEmitter.P(bias) + ", n, " + C + ", batchStatistics, " + momentum + ", pool: " + Pool + ");");
        e.ForwardLines.Add("    __Unpack(" + output.A + ", " + packedOutput.A + ", " + layout + ");");
        e.ForwardLines.Add("}");
        backward.Add(title);
        backward.Add("{");
        backward.Add("    " + positions);
        backward.Add("    __Pack(" + packedOutput.D + ", " + output.D + ", " + layout + ");");
        backward.Add("    " + K + "BatchNorm.Backward(" + packedInput.D + ", " + TrainingEmitter.G(weight) + ", " + TrainingEmitter.G(bias) + ", " + packedOutput.D + ", " + packedInput.A + ", " + TrainingEmitter.P(weight) + ", " + mean.A + ", " + rstd.A + ", n, " + C + ", batchStatistics, " + Pool + ");");
        backward.Add("    __UnpackAdd(" + input.D + ", " + packedInput.D + ", " + layout + ");");
        backward.Add("}");
        return output;
    }

    /// <summary>The state buffer (running statistics) of <paramref name="layer"/> called <c>{path}{suffix}</c>.</summary>
    private static ParameterPlan State(LayerPlan layer, string suffix)
    {
        foreach (ParameterPlan state in layer.State)
        {
            if (state.Name == layer.Path + suffix)
            {
                return state;
            }
        }

        throw new System.InvalidOperationException("state '" + layer.Path + suffix + "' is not in the plan");
    }
}

/// <summary>[BatchNorm]'s options: the running statistics' momentum (PyTorch's convention: new = (1 - m)·old + m·batch).</summary>
internal sealed record BatchNormOptions(string? Source, string? Memory, float Momentum) : LayerOptions(Source, Memory);
