using System;
using System.Linq;
using ModelDsl.Memory;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;
using ModelDsl.Training;

namespace ModelDsl.Tests.Training;

/// <summary>
/// <c>SetParameterGroup</c>: each group's tensors are updated, to the bit, as the optimizer with the group's weight decay stepping a
/// copy of the block at the trainer's rate times the group's scale; with a schedule, with <c>ExcludeFromWeightDecay</c> and
/// <c>Freeze</c>, on the worker pool, and without allocating.
/// </summary>
public sealed class ParameterGroupTests
{
    // Tensors 16-aligned as the generator lays them out; gaps between them (e.g. 20..31) belong to no tensor.
    private static readonly ParameterEntry[] Table =
    [
        new("encoder.weight", 0, 20, 4, 5),
        new("encoder.bias", 32, 4, 4),
        new("decoder.weight", 48, 12, 3, 4),
        new("decoder.bias", 64, 3, 3),
        new("head.weight", 80, 6, 2, 3),
    ];

    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }

    [Theory]
    [InlineData("adamw")]
    [InlineData("adam")]
    [InlineData("sgd")]
    [InlineData("momentum")]
    [InlineData("adagrad")]
    public void Groups_AreTheOptimizerWithTheirDecay_AtTheScaledRate_Bitwise(string name)
    {
        Optimizer Make(float decay) => name switch
        {
            "adamw" => new AdamW(1e-2f, weightDecay: decay),
            "adam" => new Adam(1e-2f, weightDecay: decay),
            "sgd" => new Sgd(1e-2f, weightDecay: decay),
            "momentum" => new Momentum(1e-2f, momentum: 0.9f, weightDecay: decay),
            _ => new Adagrad(1e-2f, weightDecay: decay),
        };
        const float Decay = 0.3f, EncoderDecay = 0.05f;
        const float EncoderScale = 0.1f, DecoderScale = 0.5f;
        var schedule = new StepDecaySchedule(1e-2f, stepSize: 2, gamma: 0.5f);
        using var block = new AlignedBlock(96);
        Random(96, 1).CopyTo(block.Span);
        using var trainer = new GradientTrainer(block, Table, Make(Decay), schedule: schedule);
        trainer.SetParameterGroup("Encoder", EncoderScale, EncoderDecay);     // a member name: encoder.*
        trainer.SetParameterGroup("decoder", DecoderScale);                  // the optimizer's decay
        trainer.ExcludeFromWeightDecay(TrainerBase.BiasesAndNorms);          // decoder.bias: the group's rate, no decay
        trainer.Freeze("head");

        // Each set stepped separately on a copy of the whole block, then compared on its own tensors.
        float[] encoder = block.Span.ToArray(), encoderBias = block.Span.ToArray(), decoder = block.Span.ToArray(), decoderBias = block.Span.ToArray();
        float[] head = block.Span.ToArray();
        Optimizer encoderRule = Make(EncoderDecay), decoderRule = Make(Decay), noDecay = Make(0f);
        float[] s1 = new float[encoderRule.StateLength(96)], s2 = new float[noDecay.StateLength(96)], s3 = new float[decoderRule.StateLength(96)], s4 = new float[noDecay.StateLength(96)];
        foreach (float[] state in new[] { s1, s2, s3, s4 })
        {
            encoderRule.InitializeState(state, 96);
        }

        for (int step = 1; step <= 4; step++)
        {
            float[] gradients = Random(96, 100 + step);
            gradients.CopyTo(trainer.Gradients.Span);
            trainer.Apply();
            float rate = schedule.At(step);
            encoderRule.Step(encoder, gradients, s1, rate * EncoderScale, step);
            noDecay.Step(encoderBias, gradients, s2, rate * EncoderScale, step);
            decoderRule.Step(decoder, gradients, s3, rate * DecoderScale, step);
            noDecay.Step(decoderBias, gradients, s4, rate * DecoderScale, step);
            Assert.Equal(rate, trainer.LearningRate);
        }

        float[] after = block.Span.ToArray();
        AssertTensor(encoder, after, "encoder.weight");
        AssertTensor(encoderBias, after, "encoder.bias");
        AssertTensor(decoder, after, "decoder.weight");
        AssertTensor(decoderBias, after, "decoder.bias");
        AssertTensor(head, after, "head.weight");
        Assert.False(encoder.AsSpan(0, 20).SequenceEqual(decoder.AsSpan(0, 20)), "the two groups' rules must differ on the encoder's elements");
    }

    private static void AssertTensor(float[] expected, float[] actual, string tensor)
    {
        ParameterEntry entry = Table.Single(e => e.Name == tensor);
        Assert.True(expected.AsSpan(entry.Offset, entry.Length).SequenceEqual(actual.AsSpan(entry.Offset, entry.Length)), tensor);
    }

    [Fact]
    public void Pooled_Step_EqualsSerial_Bitwise()
    {
        // Three tensors each above the optimizer's split threshold (and an odd number of chunks), so every group's range is split
        // over the pool when there are two threads.
        const int n = Optimizer.SplitThreshold + (2 * Optimizer.ChunkLength) + 7, total = 3 * n;
        ParameterEntry[] table = [new("a.weight", 0, n, 1, n), new("b.weight", n, n, 1, n), new("c.weight", 2 * n, n, 1, n)];
        float[] start = Random(total, 3);
        float[][] results = new float[2][];
        for (int t = 0; t < 2; t++)
        {
            using var block = new AlignedBlock(total);
            start.CopyTo(block.Span);
            using var trainer = new GradientTrainer(block, table, new AdamW(1e-2f, weightDecay: 0.1f), threads: t + 1);
            trainer.SetParameterGroup("a", 0.1f, 0f);
            trainer.SetParameterGroup("c", 3f, 0.5f);
            for (int step = 1; step <= 3; step++)
            {
                Random(total, 10 + step).CopyTo(trainer.Gradients.Span);
                trainer.Apply();
            }

            results[t] = block.Span.ToArray();
        }

        Assert.True(results[0].AsSpan().SequenceEqual(results[1]));
        Assert.False(results[0].AsSpan().SequenceEqual(start));
    }

    [Fact]
    public void Step_WithGroups_AllocatesNothing()
    {
        using var block = new AlignedBlock(96);
        using var trainer = new GradientTrainer(block, Table, new AdamW(1e-3f), schedule: new StepDecaySchedule(1e-3f, 10));
        trainer.SetParameterGroup("encoder", 0.1f, 0f);
        trainer.SetParameterGroup("decoder", 2f);
        trainer.ExcludeFromWeightDecay(TrainerBase.BiasesAndNorms);
        trainer.LearningRateMultiplier = 0.5;
        Assert.Equal(0, Allocations.Measure(trainer.Apply));
    }

    [Fact]
    public void UnknownMember_Throws_NamingIt_AndTheMembers()
    {
        using var block = new AlignedBlock(96);
        using var trainer = new GradientTrainer(block, Table, new Sgd(0.1f));
        var error = Assert.Throws<ArgumentException>(() => trainer.SetParameterGroup("Encodr", 0.1f));
        Assert.Contains("'Encodr'", error.Message, StringComparison.Ordinal);
        Assert.Contains("encoder, decoder, head", error.Message, StringComparison.Ordinal);
        Assert.Empty(trainer.ParameterGroups);
    }

    [Theory]
    [InlineData(-0.1f, 0f)]
    [InlineData(float.NaN, 0f)]
    [InlineData(1f, -1f)]
    [InlineData(1f, float.PositiveInfinity)]
    public void BadScaleOrDecay_Throws_NamingTheGroup(float scale, float decay)
    {
        using var block = new AlignedBlock(96);
        using var trainer = new GradientTrainer(block, Table, new Sgd(0.1f));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.SetParameterGroup("encoder", scale, decay));
        Assert.Contains("'encoder'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParameterGroups_ListTheirTensors_ALaterGroupTakesTheTensorsItNames()
    {
        using var block = new AlignedBlock(96);
        using var trainer = new GradientTrainer(block, Table, new Sgd(0.1f));
        trainer.SetParameterGroup("encoder", 0.1f);
        trainer.SetParameterGroup("encoder.bias", 0.5f, 0f);
        trainer.SetParameterGroup("encoder", 0.2f); // replaces the first group's settings and takes encoder.bias back
        ParameterGroup[] groups = [.. trainer.ParameterGroups];
        Assert.Equal(2, groups.Length);
        Assert.Equal(("encoder", 0.2f, (float?)null), (groups[0].Member, groups[0].LearningRateScale, groups[0].WeightDecay));
        Assert.Equal(["encoder.weight", "encoder.bias"], groups[0].Parameters);
        Assert.Empty(groups[1].Parameters);
    }

    [Fact]
    public void LearningRateMultiplier_ScalesEveryGroup()
    {
        using var block = new AlignedBlock(96);
        Random(96, 5).CopyTo(block.Span);
        float[] start = block.Span.ToArray();
        using var trainer = new GradientTrainer(block, Table, new Sgd(0.5f));
        trainer.SetParameterGroup("encoder", 0.5f);
        trainer.LearningRateMultiplier = 0.25;
        float[] gradients = Random(96, 6);
        gradients.CopyTo(trainer.Gradients.Span);
        trainer.Apply();
        Assert.Equal(0.125f, trainer.LearningRate);
        // SGD: p - rate * g, with rate 0.5 * 0.25 (= 0.125) for the head and 0.0625 for the encoder, both exact in binary.
        Assert.Equal(MathF.FusedMultiplyAdd(-0.0625f, gradients[0], start[0]), block.Span[0]);
        Assert.Equal(MathF.FusedMultiplyAdd(-0.125f, gradients[80], start[80]), block.Span[80]);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.LearningRateMultiplier = -1);
    }
}
