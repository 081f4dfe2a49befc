using System;
using System.Linq;
using ModelDsl.Optim;

namespace ModelDsl.Training.Tests;

/// <summary>Mean-pooled embeddings to a class, the embedding declared [Freeze].</summary>
[Model(MaxBatch = 4)]
public partial class FrozenTokensClassifier
{
    public const int Length = 6, Vocab = 12, D = 8, Classes = 3;

    [Input(Length)] public partial TokenInput Text { get; }
    [Freeze] [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>The same declaration without [Freeze] (the same names, so the same parameters for the same seed).</summary>
[Model(MaxBatch = 4)]
public partial class UnfrozenTokensClassifier
{
    [Input(FrozenTokensClassifier.Length)] public partial TokenInput Text { get; }
    [Embedding(FrozenTokensClassifier.Vocab, FrozenTokensClassifier.D)] public partial TokenEmbedding Tokens { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(FrozenTokensClassifier.Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary><c>[Freeze]</c>: the trainer starts as if <c>Freeze(nameof(Member))</c> had been called, and <c>Unfreeze</c> still works.</summary>
public sealed class FreezeAttributeTests
{
    private static void Fill(IBatchRows batch)
    {
        batch.SetTokens(0, 0, [1, 2, 3]);
        batch.SetLabel(0, 2);
        batch.SetTokens(0, 1, [4, 5, 6, 7]);
        batch.SetLabel(1, 1);
        batch.Count = 2;
    }

    [Fact]
    public void Trainer_StartsFrozen_AsAManualFreeze_ThenUnfreezes()
    {
        var frozenModel = new FrozenTokensClassifier(seed: 4);
        var manualModel = new UnfrozenTokensClassifier(seed: 4);
        Assert.True(frozenModel.Parameters.Span.SequenceEqual(manualModel.Parameters.Span));
        using var frozen = frozenModel.CreateTrainer(new AdamW(1e-2f));
        using var manual = manualModel.CreateTrainer(new AdamW(1e-2f));
        manual.Freeze(nameof(UnfrozenTokensClassifier.Tokens));
        Assert.Equal(["tokens.weight"], frozen.FrozenParameters);

        var frozenBatch = new FrozenTokensClassifier.Batch();
        var manualBatch = new UnfrozenTokensClassifier.Batch();
        Fill(frozenBatch);
        Fill(manualBatch);
        float[] before = frozenModel.Parameters.Span.ToArray();
        for (int i = 0; i < 3; i++)
        {
            frozen.Step(frozenBatch);
            manual.Step(manualBatch);
        }

        Assert.True(frozenModel.Parameters.Span.SequenceEqual(manualModel.Parameters.Span), "[Freeze] must equal Freeze(nameof(Tokens))");
        ParameterEntry tokens = FrozenTokensClassifier.ParameterTable.Single(entry => entry.Name == "tokens.weight");
        Assert.True(before.AsSpan(tokens.Offset, tokens.Length).SequenceEqual(frozenModel.Parameters.Span.Slice(tokens.Offset, tokens.Length)));
        Assert.False(before.AsSpan().SequenceEqual(frozenModel.Parameters.Span), "the head trains");

        frozen.Unfreeze(nameof(FrozenTokensClassifier.Tokens));
        Assert.Empty(frozen.FrozenParameters);
        frozen.Step(frozenBatch);
        Assert.False(before.AsSpan(tokens.Offset, tokens.Length).SequenceEqual(frozenModel.Parameters.Span.Slice(tokens.Offset, tokens.Length)));
    }
}
