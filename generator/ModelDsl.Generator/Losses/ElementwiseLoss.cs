using ModelDsl.Generator.Planning;
using PyTorchContext = ModelDsl.Generator.Emit.PyTorchContext;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Literals = ModelDsl.Generator.Emit.Literals;
using TrainingEmitter = ModelDsl.Generator.Emit.TrainingEmitter;

namespace ModelDsl.Generator.Losses;

/// <summary>
/// The training code shared by losses that compare the output element by element with float targets of its shape and average over
/// every element (MSE, L1, BCE with logits): a kernel pair <c>{Kernel}.Forward(predictions, targets, n)</c> /
/// <c>{Kernel}.Backward(dPredictions, scale, predictions, targets, n)</c>. Per position, only the valid positions count: predictions and
/// targets are packed (<c>__Pack</c>) to the <c>n</c> positions below each row's length, so padding neither adds to the loss nor to the
/// count, and gets no gradient.
/// </summary>
internal static class ElementwiseLoss
{
    private const string K = TrainingEmitter.K;

    public static void Emit(TrainingEmitter e, TargetPlan target, Flow head, string kernel, string what, string gradient)
    {
        Buffer predictions = head.Buffer;
        string W = Literals.Int(head.Width);
        if (head.Sequence is not { } sequence)
        {
            string targets = TrainingEmitter.Span(e.BatchTargets, "B * " + W);
            e.ForwardLines.Add("// Loss: " + what + " over B rows of " + W + " values (mean over every element)");
            e.ForwardLines.Add("__rows = B;");
            e.ForwardLines.Add("return " + K + kernel + ".Forward(" + predictions.A + ", " + targets + ", B * " + W + ");");
            e.AddBackward(
            [
                "// Loss: d predictions = " + gradient + " / (B * " + W + ")",
                K + kernel + ".Backward(" + predictions.D + ", " + e.LossScale + ", " + predictions.A + ", " + targets + ", B * " + W + ");",
            ]);
            return;
        }

        e.UsesPacking = true;
        string n = "n * " + W;
        Buffer packed = e.Alloc(e.LossBuffer("packed_predictions"), sequence, head.Width) with { Length = n };
        Buffer packedTargets = e.Alloc(e.LossBuffer("packed_targets"), sequence, head.Width) with { Length = n };
        string positions = "int n = __Positions(" + sequence.Lengths + ", B);";
        string lengths = sequence.Lengths + ", B, " + W;
        string batchTargets = TrainingEmitter.Span(e.BatchTargets, "B * " + Literals.Int(target.MaxLength) + " * " + W);
        e.ForwardLines.Add("// Loss: " + what + " over the n valid positions of " + sequence.Input.Name + ", " + W + " values each (packed: padding is not counted)");
        e.ForwardLines.Add("{");
        e.ForwardLines.Add("    " + positions);
        e.ForwardLines.Add("    __Pack(" + packed.A + ", " + predictions.A + ", " + sequence.T + ", " + lengths + ");");
        e.ForwardLines.Add("    __Pack(" + packedTargets.A + ", " + batchTargets + ", " + Literals.Int(target.MaxLength) + ", " + lengths + ");");
        e.ForwardLines.Add("    __rows = " + sequence.BT + ";");
        e.ForwardLines.Add("    return " + K + kernel + ".Forward(" + packed.A + ", " + packedTargets.A + ", " + n + ");");
        e.ForwardLines.Add("}");
        e.AddBackward(
        [
            "// Loss: d predictions = " + gradient + " / (n * " + W + ") at the valid positions",
            "{",
            "    " + positions,
            "    " + K + kernel + ".Backward(" + packed.D + ", " + e.LossScale + ", " + packed.A + ", " + packedTargets.A + ", " + n + ");",
            "    __UnpackAdd(" + predictions.D + ", " + packed.D + ", " + sequence.T + ", " + lengths + ");",
            "}",
        ]);
    }

    /// <summary>
    /// The exported <c>compute_loss</c> body for a loss with float targets: <c>function(output, targets)</c> over the whole batch, or over
    /// the valid positions of a sequence (the prelude's <c>valid_positions</c> selects <c>[n, W]</c> rows of both).
    /// </summary>
    /// <param name="doc">The docstring after the opening bracket, e.g. <c>L1Loss]: the mean absolute error</c>.</param>
    public static void WritePyTorch(System.Text.StringBuilder s, TargetPlan target, string doc, string function)
    {
        s.Append("    \"\"\"[").Append(doc).Append(target.PerPosition ? " over the valid positions" : string.Empty).Append(".\"\"\"\n");
        s.Append("    function = ").Append(function).Append('\n');
        if (!target.PerPosition)
        {
            s.Append("    return function(output, batch[\"Targets\"])\n");
            return;
        }

        s.Append("    valid = valid_positions(batch[\"").Append(target.Source).Append("Lengths\"], output.shape[1])\n");
        s.Append("    return function(output[valid], batch[\"Targets\"][:, :output.shape[1]][valid])\n");
    }
}
