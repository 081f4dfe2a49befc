using System.Collections.Generic;
using ModelDsl.Generator.Planning;
using Buffer = ModelDsl.Generator.Emit.TrainingEmitter.Buffer;
using Flow = ModelDsl.Generator.Emit.TrainingEmitter.Flow;
using Literals = ModelDsl.Generator.Emit.Literals;
using TrainingEmitter = ModelDsl.Generator.Emit.TrainingEmitter;

namespace ModelDsl.Generator.Losses;

/// <summary>
/// The training code shared by losses that compare each output row with a target distribution of the same width and average over
/// rows (soft-label cross-entropy, distillation): a kernel pair <c>{Kernel}.Forward(saved..., logits, targets, rows, width, extra)</c> /
/// <c>{Kernel}.Backward(dLogits, scale, saved..., [targets,] rows, width, extra)</c>, with <c>saved</c> buffers from the arena. Per
/// position, the valid positions are packed (<c>__Pack</c>) to <c>n</c> rows first, so padding neither counts nor gets a gradient.
/// </summary>
internal static class RowLoss
{
    private const string K = TrainingEmitter.K;

    /// <param name="saved">Names of the <c>[rows, width]</c> buffers the forward writes and the backward reads.</param>
    /// <param name="backwardReadsTargets">Whether the backward takes the targets after the saved buffers.</param>
    /// <param name="extra">Trailing arguments of both calls (", 2f"), or empty.</param>
    public static void Emit(TrainingEmitter e, TargetPlan target, Flow head, string kernel, string what, string gradient,
        string[] saved, bool backwardReadsTargets, string extra)
    {
        string W = Literals.Int(head.Width);
        TrainingEmitter.Sequence? sequence = head.Sequence;
        string rows = sequence is null ? "B" : "n";
        string indent = sequence is null ? string.Empty : "    ";
        var buffers = new List<string>();
        foreach (string name in saved)
        {
            Buffer buffer = e.Alloc(e.LossBuffer(name), sequence, head.Width);
            buffers.Add((sequence is null ? buffer : buffer with { Length = "n * " + W }).A);
        }

        string logits = head.Buffer.A, dLogits = head.Buffer.D;
        string targets = TrainingEmitter.Span(e.BatchTargets, "B * " + W);
        var forward = new List<string>();
        var backward = new List<string> { "// Loss: d logits = " + gradient + (sequence is null ? string.Empty : " at the valid positions") };
        if (sequence is not null)
        {
            e.UsesPacking = true;
            Buffer packed = e.Alloc(e.LossBuffer("packed_logits"), sequence, head.Width) with { Length = "n * " + W };
            Buffer packedTargets = e.Alloc(e.LossBuffer("packed_targets"), sequence, head.Width) with { Length = "n * " + W };
            string positions = "int n = __Positions(" + sequence.Lengths + ", B);";
            string lengths = sequence.Lengths + ", B, " + W;
            string batchTargets = TrainingEmitter.Span(e.BatchTargets, "B * " + Literals.Int(target.MaxLength) + " * " + W);
            forward.Add("{");
            forward.Add("    " + positions);
            forward.Add("    __Pack(" + packed.A + ", " + logits + ", " + sequence.T + ", " + lengths + ");");
            forward.Add("    __Pack(" + packedTargets.A + ", " + batchTargets + ", " + Literals.Int(target.MaxLength) + ", " + lengths + ");");
            backward.Add("{");
            backward.Add("    " + positions);
            logits = packed.A;
            dLogits = packed.D;
            targets = packedTargets.A;
        }

        string all = string.Join(", ", buffers);
        forward.Insert(0, "// Loss: " + what + " over " + (sequence is null ? "B rows" : "the n valid positions of " + sequence.Input.Name) + " of " + W + " values");
        forward.Add(indent + "__rows = " + (sequence is null ? "B" : sequence.BT) + ";");
        forward.Add(indent + "return " + K + kernel + ".Forward(" + all + ", " + logits + ", " + targets + ", " + rows + ", " + W + extra + ");");
        backward.Add(indent + K + kernel + ".Backward(" + dLogits + ", " + e.LossScale + ", " + all + (backwardReadsTargets ? ", " + targets : string.Empty) + ", " + rows + ", " + W + extra + ");");
        if (sequence is not null)
        {
            forward.Add("}");
            backward.Add("    __UnpackAdd(" + head.Buffer.D + ", " + dLogits + ", " + sequence.T + ", " + sequence.Lengths + ", B, " + W + ");");
            backward.Add("}");
        }

        e.ForwardLines.AddRange(forward);
        e.AddBackward(backward);
    }
}
