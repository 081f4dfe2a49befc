using System;
using System.Linq;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;

namespace ModelDsl.Training.Tests;

/// <summary>
/// <c>Freeze</c>/<c>Unfreeze</c>: frozen parameters keep their bits (no update, no weight decay, no moment update), the others
/// are updated exactly as an optimizer step over the same gradients would, the frozen gradients are left out of clipping
/// (PyTorch: a <c>requires_grad=False</c> parameter has no <c>.grad</c>, so <c>clip_grad_norm_</c> skips it), and a step
/// with a frozen member allocates nothing.
/// </summary>
public sealed class FreezeTests
{
    private const int Rows = 3;

    [Fact]
    public void Freeze_Encoder_StaysBitIdenticalWhileTheOthersChange()
    {
        var model = new TinyTranslator(seed: 3);
        using var trainer = model.CreateTrainer(new AdamW(1e-2f, weightDecay: 0.1f), clipNorm: 1f);
        trainer.Freeze(nameof(TinyTranslator.Encoder));
        float[] before = model.Parameters.Span.ToArray();
        var batch = Batch();
        for (int i = 0; i < 5; i++)
        {
            trainer.Step(batch);
        }

        float[] after = model.Parameters.Span.ToArray();
        Assert.NotEmpty(trainer.FrozenParameters);
        foreach (ParameterEntry entry in TinyTranslator.ParameterTable)
        {
            var was = before.AsSpan(entry.Offset, entry.Length);
            var now = after.AsSpan(entry.Offset, entry.Length);
            if (entry.Name.StartsWith("encoder.", StringComparison.Ordinal))
            {
                Assert.Contains(entry.Name, trainer.FrozenParameters);
                Assert.True(was.SequenceEqual(now), entry.Name + " changed while frozen");
            }
            else
            {
                Assert.DoesNotContain(entry.Name, trainer.FrozenParameters);
                Assert.False(was.SequenceEqual(now), entry.Name + " did not change");
            }
        }
    }

    [Fact]
    public void Freeze_TheOthersGetTheOptimizersUpdateOfTheirGradients_Bitwise()
    {
        // One step of the trainer against AdamW.Step over a copy of the block with the trainer's final gradients: the
        // unfrozen elements must agree to the bit (the update is element-wise), the frozen ones must not move at all.
        var model = new TinyTranslator(seed: 4);
        var optimizer = new AdamW(1e-2f, weightDecay: 0.1f);
        using var trainer = model.CreateTrainer(optimizer);
        trainer.Freeze(nameof(TinyTranslator.Decoder));
        trainer.Freeze(nameof(TinyTranslator.SourceEmbedding));
        float[] before = model.Parameters.Span.ToArray();
        trainer.Step(Batch());

        float[] expected = (float[])before.Clone();
        var state = new float[optimizer.StateLength(expected.Length)];
        optimizer.Step(expected, trainer.Gradients.Span, state, 1e-2f, 1);
        float[] after = model.Parameters.Span.ToArray();
        int movedByWholeStep = 0;
        foreach (ParameterEntry entry in TinyTranslator.ParameterTable)
        {
            bool frozen = entry.Name.StartsWith("decoder.", StringComparison.Ordinal) || entry.Name.StartsWith("source_embedding.", StringComparison.Ordinal);
            var want = (frozen ? before : expected).AsSpan(entry.Offset, entry.Length);
            Assert.True(want.SequenceEqual(after.AsSpan(entry.Offset, entry.Length)), entry.Name);
            if (frozen && !expected.AsSpan(entry.Offset, entry.Length).SequenceEqual(before.AsSpan(entry.Offset, entry.Length)))
            {
                movedByWholeStep++;
            }
        }

        // The whole-block step would have moved most frozen tensors (weight decay alone does; zero biases stay), so the
        // comparison above can fail.
        Assert.True(movedByWholeStep >= 5, $"{movedByWholeStep} frozen tensors would have moved");
    }

    [Fact]
    public void Unfreeze_ResumesTheUpdates()
    {
        var model = new TinyTranslator(seed: 5);
        using var trainer = model.CreateTrainer(new Adam(1e-2f));
        trainer.Freeze("Encoder");
        var batch = Batch();
        trainer.Step(batch);
        trainer.Step(batch);
        float[] frozen = model.Parameters.Span.ToArray();
        trainer.Unfreeze(nameof(TinyTranslator.Encoder));
        Assert.Empty(trainer.FrozenParameters);
        trainer.Step(batch);
        foreach (ParameterEntry entry in TinyTranslator.ParameterTable.Where(e => e.Name.StartsWith("encoder.", StringComparison.Ordinal)))
        {
            Assert.False(frozen.AsSpan(entry.Offset, entry.Length).SequenceEqual(model.Parameters.Span.Slice(entry.Offset, entry.Length)), entry.Name);
        }
    }

    [Fact]
    public void Freeze_ClippingLeavesTheFrozenGradientsOut()
    {
        var model = new TinyTranslator(seed: 6);
        const float MaxNorm = 1e-3f;
        using var trainer = model.CreateTrainer(new Sgd(0f), clipNorm: MaxNorm);
        trainer.DropoutEnabled = false;
        var batch = Batch();
        trainer.ComputeGradients(batch);
        float[] raw = trainer.Gradients.Span.ToArray();
        bool[] frozen = new bool[raw.Length];
        foreach (ParameterEntry entry in TinyTranslator.ParameterTable.Where(e => e.Name.StartsWith("target_embedding.", StringComparison.Ordinal)
            || e.Name.StartsWith("logits.", StringComparison.Ordinal)))
        {
            frozen.AsSpan(entry.Offset, entry.Length).Fill(true);
        }

        double all = 0, unfrozen = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            all += (double)raw[i] * raw[i];
            unfrozen += frozen[i] ? 0 : (double)raw[i] * raw[i];
        }

        double scaleUnfrozen = MaxNorm / (Math.Sqrt(unfrozen) + 1e-6), scaleAll = MaxNorm / (Math.Sqrt(all) + 1e-6);
        // The two scales must be far apart for the test to tell them apart (the head's gradients are a large share).
        Assert.True(scaleUnfrozen > 1.1 * scaleAll, $"{scaleUnfrozen} vs {scaleAll}");

        trainer.Freeze(nameof(TinyTranslator.TargetEmbedding));
        trainer.Freeze(nameof(TinyTranslator.Logits));
        trainer.Step(batch); // Sgd(0): nothing moves, so Step recomputes the same raw gradients, then clears and clips them.
        var clipped = trainer.Gradients.Span;
        for (int i = 0; i < raw.Length; i++)
        {
            if (frozen[i])
            {
                Assert.Equal(0f, clipped[i]);
            }
            else if (Math.Abs(raw[i]) > 1e-6f)
            {
                // 1e-5 relative: the norm is summed in another order here than in GradientClipping (double, ~1e-15),
                // and the scaled value is rounded to float (~6e-8); 10% separates the two candidate scales.
                Assert.Equal(scaleUnfrozen, clipped[i] / (double)raw[i], scaleUnfrozen * 1e-5);
            }
        }
    }

    [Fact]
    public void Step_WithAFrozenMember_AllocatesNothing()
    {
        var model = new TinyTranslator(seed: 7);
        using var trainer = model.CreateTrainer(new AdamW(1e-3f), clipNorm: 1f);
        trainer.Freeze(nameof(TinyTranslator.Encoder));
        var batch = Batch();
        Assert.Equal(0, Allocations.Measure(() => trainer.Step(batch)));
    }

    [Fact]
    public void Freeze_UnknownMember_ThrowsNamingItAndListingTheMembers()
    {
        using var trainer = new TinyTranslator(seed: 1).CreateTrainer(new Adam());
        var e = Assert.Throws<ArgumentException>(() => trainer.Freeze("Encodr"));
        Assert.Contains("'Encodr'", e.Message, StringComparison.Ordinal);
        Assert.Contains("source_embedding, encoder, target_embedding, decoder, logits", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => trainer.Unfreeze("Nope"));
        Assert.Empty(trainer.FrozenParameters);
    }

    [Fact]
    public void Freeze_AStateDictPrefix_FreezesThatSubtree()
    {
        using var trainer = new TinyTranslator(seed: 1).CreateTrainer(new Adam());
        trainer.Freeze("decoder.layers.0.self_attn");
        Assert.Equal(
            TinyTranslator.ParameterTable.Select(e => e.Name).Where(n => n.StartsWith("decoder.layers.0.self_attn.", StringComparison.Ordinal)),
            trainer.FrozenParameters);
    }

    [Fact]
    public void MemberNames_FollowTheGeneratorsStateDictPrefixes()
    {
        // Freeze maps a member to its parameters by the generator's naming rule: the runtime's copy must agree with the
        // paths the generator wrote into the layer table.
        foreach (LayerInfo layer in TinyTranslator.LayerTable.Concat(FiveClassClassifier.LayerTable))
        {
            Assert.Equal(layer.Path, MemberNames.StateDictPrefix(layer.Name));
        }

        Assert.Equal("lm_head", MemberNames.StateDictPrefix("LMHead"));
        Assert.Equal("encoder.layers.0", MemberNames.StateDictPrefix("encoder.layers.0"));
    }

    private static TinyTranslator.Batch Batch()
    {
        var batch = new TinyTranslator.Batch();
        for (int row = 0; row < Rows; row++)
        {
            int[] source = [.. Enumerable.Range(0, 3 + (row % 2)).Select(i => 2 + ((i * 5 + row) % 13))];
            int[] target = [1, .. source.Reverse()];
            batch.SetSource(row, source);
            batch.SetTarget(row, target);
            batch.SetLabels(row, [.. source.Reverse(), 2]);
        }

        batch.Count = Rows;
        return batch;
    }
}
