using System;
using System.Linq;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;

namespace ModelDsl.Training.Tests;

/// <summary>
/// <c>ExcludeFromWeightDecay</c>: two PyTorch parameter groups, the selected tensors with <c>weight_decay=0</c>. Checked to the
/// bit against the optimizer and its decay-free twin stepping copies of the block with the trainer's gradients.
/// </summary>
public sealed class WeightDecayGroupTests
{
    [Theory]
    [InlineData("adamw")]
    [InlineData("sgd")]
    public void BiasesAndNorms_GetNoWeightDecay_TheOthersDo_Bitwise(string name)
    {
        Optimizer optimizer = name == "adamw" ? new AdamW(1e-2f, weightDecay: 0.5f) : new Sgd(0.1f, weightDecay: 0.5f);
        Optimizer twin = name == "adamw" ? new AdamW(1e-2f, weightDecay: 0f) : new Sgd(0.1f, weightDecay: 0f);
        var model = new TinyTranslator(seed: 8);
        using var trainer = model.CreateTrainer(optimizer);
        trainer.ExcludeFromWeightDecay(TrainerBase.BiasesAndNorms);
        trainer.Freeze(nameof(TinyTranslator.SourceEmbedding)); // the groups and freezing together
        float[] before = model.Parameters.Span.ToArray();
        trainer.Step(FreezeTestsBatch.Create());

        float[] decayed = (float[])before.Clone(), undecayed = (float[])before.Clone();
        optimizer.Step(decayed, trainer.Gradients.Span, new float[optimizer.StateLength(before.Length)], optimizer.LearningRate, 1);
        twin.Step(undecayed, trainer.Gradients.Span, new float[twin.StateLength(before.Length)], twin.LearningRate, 1);
        float[] after = model.Parameters.Span.ToArray();
        int vectorsThatDecayWouldMove = 0;
        foreach (ParameterEntry entry in TinyTranslator.ParameterTable)
        {
            bool frozen = entry.Name.StartsWith("source_embedding.", StringComparison.Ordinal);
            bool vector = entry.Shape.Count < 2;
            float[] expected = frozen ? before : vector ? undecayed : decayed;
            Assert.True(expected.AsSpan(entry.Offset, entry.Length).SequenceEqual(after.AsSpan(entry.Offset, entry.Length)), entry.Name);
            if (vector && !decayed.AsSpan(entry.Offset, entry.Length).SequenceEqual(undecayed.AsSpan(entry.Offset, entry.Length)))
            {
                vectorsThatDecayWouldMove++;
            }
        }

        // The norm weights (ones) differ with and without decay, so the comparison above tells the two groups apart.
        Assert.True(vectorsThatDecayWouldMove >= 4, $"{vectorsThatDecayWouldMove}");
    }

    [Fact]
    public void Step_WithTwoGroups_AllocatesNothing()
    {
        using var trainer = new TinyTranslator(seed: 9).CreateTrainer(new AdamW(1e-3f), clipNorm: 1f);
        trainer.ExcludeFromWeightDecay(TrainerBase.BiasesAndNorms);
        var batch = FreezeTestsBatch.Create();
        Assert.Equal(0, Allocations.Measure(() => trainer.Step(batch)));
    }
}

/// <summary>FreezeTests' batch of reversed sequences for TinyTranslator.</summary>
internal static class FreezeTestsBatch
{
    public static TinyTranslator.Batch Create()
    {
        var batch = new TinyTranslator.Batch();
        for (int row = 0; row < 3; row++)
        {
            int[] source = [.. Enumerable.Range(0, 3 + (row % 2)).Select(i => 2 + (((i * 5) + row) % 13))];
            batch.SetSource(row, source);
            batch.SetTarget(row, [1, .. source.Reverse()]);
            batch.SetLabels(row, [.. source.Reverse(), 2]);
        }

        batch.Count = 3;
        return batch;
    }
}
