using System;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Tests.Support;

namespace ModelDsl.Training.Tests;

/// <summary>The data helpers fill generated batches exactly as these hand-written buffers say (padding, lengths, shift, labels).</summary>
public sealed class BatchFillingTests
{
    private static readonly LoaderOptions InOrder = new() { Shuffle = false };

    [Fact]
    public void Classification_pads_tokens_records_lengths_and_labels()
    {
        LabeledTokens[] examples = [new([3, 4, 5], 2), new([7], 0), new([1, 2, 3, 4, 5, 6], 1)];
        var loader = new BatchLoader<TinyClassifier.Batch, LabeledTokens>(examples, Rows.Classification<TinyClassifier.Batch>(), InOrder);
        var batch = new TinyClassifier.Batch();

        int rows = loader.Fill(batch, 0);

        Assert.Equal(3, rows);
        Assert.Equal(3, batch.Count);
        int[] text =
        [
            3, 4, 5, 0, 0, 0,
            7, 0, 0, 0, 0, 0,
            1, 2, 3, 4, 5, 6,
        ];
        Assert.Equal(text, batch.Text.AsSpan(0, 18).ToArray());
        Assert.Equal(new[] { 3, 1, 6 }, batch.TextLengths.AsSpan(0, 3).ToArray());
        Assert.Equal(new[] { 2, 0, 1 }, batch.Labels.AsSpan(0, 3).ToArray());
    }

    [Fact]
    public void Teacher_forcing_shifts_the_target_with_bos_and_eos()
    {
        const int Bos = 1, Eos = 2;
        TokenPair[] examples = [new([5, 6, 7], [8, 9]), new([10], [11, 12, 13, 14])];
        var loader = new BatchLoader<TinyTranslator.Batch, TokenPair>(examples, Rows.TeacherForcing<TinyTranslator.Batch>(Bos, Eos, maxTargetLength: 4), InOrder);
        var batch = new TinyTranslator.Batch();

        loader.Fill(batch, 0);

        Assert.Equal(new[] { 5, 6, 7, 0, 0, 10, 0, 0, 0, 0 }, batch.Source.AsSpan(0, 10).ToArray());
        Assert.Equal(new[] { 3, 1 }, batch.SourceLengths.AsSpan(0, 2).ToArray());
        // Decoder input: BOS y1 .. yn, then the pad id 0.
        Assert.Equal(new[] { 1, 8, 9, 0, 0, 1, 11, 12, 13, 14 }, batch.Target.AsSpan(0, 10).ToArray());
        Assert.Equal(new[] { 3, 5 }, batch.TargetLengths.AsSpan(0, 2).ToArray());
        // Labels: y1 .. yn EOS, then IgnoreIndex -100.
        Assert.Equal(new[] { 8, 9, 2, -100, -100, 11, 12, 13, 14, 2 }, batch.Labels.AsSpan(0, 10).ToArray());
    }

    [Fact]
    public void Tagging_and_language_model_write_per_token_labels()
    {
        var tagging = new BatchLoader<TinyTagger.Batch, TaggedTokens>([new([1, 2, 3], [4, 5, 6])], Rows.Tagging<TinyTagger.Batch>(), InOrder);
        var batch = new TinyTagger.Batch();
        tagging.Fill(batch, 0);
        Assert.Equal(new[] { 1, 2, 3, 0, 0 }, batch.Text.AsSpan(0, 5).ToArray());
        Assert.Equal(new[] { 4, 5, 6, -100, -100 }, batch.Labels.AsSpan(0, 5).ToArray());
        Assert.Equal(new[] { 4, 5, 6 }, ((IBatchRows)batch).LabelsOf(0).ToArray());

        var language = new BatchLoader<TinyTagger.Batch, int[]>([[1, 2, 3, 4]], Rows.LanguageModel<TinyTagger.Batch>(), InOrder);
        language.Fill(batch, 0);
        Assert.Equal(new[] { 1, 2, 3, 0, 0 }, batch.Text.AsSpan(0, 5).ToArray());
        Assert.Equal(3, batch.TextLengths[0]);
        Assert.Equal(new[] { 2, 3, 4, -100, -100 }, batch.Labels.AsSpan(0, 5).ToArray());
    }

    [Fact]
    public void Features_and_labels_are_copied()
    {
        var loader = new BatchLoader<FeatureClassifier.Batch, LabeledFeatures>(
            [new([1f, 2f, 3f], 1), new([-1f, 0.5f, 4f], 0)], Rows.FeatureClassification<FeatureClassifier.Batch>(), InOrder);
        var batch = new FeatureClassifier.Batch();
        loader.Fill(batch, 0);
        Assert.Equal(new[] { 1f, 2f, 3f, -1f, 0.5f, 4f }, batch.X.AsSpan(0, 6).ToArray());
        Assert.Equal(new[] { 1, 0 }, batch.Labels.AsSpan(0, 2).ToArray());
    }

    [Fact]
    public void The_last_batch_of_an_epoch_is_partial_and_epochs_wrap()
    {
        LabeledTokens[] examples = Enumerable.Range(0, 6).Select(i => new LabeledTokens([i + 1], i % 3)).ToArray();
        var loader = new BatchLoader<TinyClassifier.Batch, LabeledTokens>(examples, Rows.Classification<TinyClassifier.Batch>(), InOrder);
        var batch = new TinyClassifier.Batch();

        Assert.Equal(2, loader.BatchesPerEpoch);
        Assert.Equal(4, loader.Fill(batch, 0));
        Assert.Equal(2, loader.Fill(batch, 1));
        Assert.Equal(new[] { 5, 6 }, new[] { batch.Text[0], batch.Text[6] });
        Assert.Equal(4, loader.Fill(batch, 2));
        Assert.Equal(1, batch.Text[0]);
        Assert.Equal(6, loader.ExamplesBefore(2));
        Assert.Equal(10, loader.ExamplesBefore(3));
    }

    [Theory]
    [InlineData(new[] { 1, 2, 3, 4, 5, 6, 7 }, 1, "sequence length 7 must be between 1 and the maximum length")]
    [InlineData(new[] { 1, 12 }, 1, "token id 12 at row 0, position 1 must be in [0, Vocab (12))")]
    [InlineData(new[] { 1 }, 3, "label 3 at row 0 must be in [0, Classes (3))")]
    public void A_bad_example_is_refused_with_its_index(int[] tokens, int label, string reason)
    {
        LabeledTokens[] examples = [new([1], 0), new([2], 1), new(tokens, label)];
        var e = Assert.Throws<ArgumentException>(() => new BatchLoader<TinyClassifier.Batch, LabeledTokens>(examples, Rows.Classification<TinyClassifier.Batch>()));
        Assert.StartsWith("Example 2: TinyClassifier.Batch.", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_finite_feature_is_refused_with_its_index()
    {
        LabeledFeatures[] examples = [new([1f, 2f, 3f], 0), new([1f, float.NaN, 3f], 1)];
        var e = Assert.Throws<ArgumentException>(() => new BatchLoader<FeatureClassifier.Batch, LabeledFeatures>(examples, Rows.FeatureClassification<FeatureClassifier.Batch>()));
        Assert.StartsWith("Example 1: FeatureClassifier.Batch.X: value NaN at row 0, feature 1 is not finite", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_longer_than_the_teacher_forcing_writer_allows_is_refused_with_its_index()
    {
        TokenPair[] examples = [new([1], [3, 4, 5])];
        var e = Assert.Throws<ArgumentException>(() => new BatchLoader<TinyTranslator.Batch, TokenPair>(examples, Rows.TeacherForcing<TinyTranslator.Batch>(1, 2, maxTargetLength: 2)));
        Assert.StartsWith("Example 0: The target has 3 tokens; the writer was made for at most 2.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Shuffling_is_a_seeded_permutation_per_epoch()
    {
        LabeledTokens[] examples = Enumerable.Range(0, 10).Select(i => new LabeledTokens([1], 0)).ToArray();
        var a = new BatchLoader<TinyClassifier.Batch, LabeledTokens>(examples, Rows.Classification<TinyClassifier.Batch>(), new LoaderOptions { Seed = 7 });
        var b = new BatchLoader<TinyClassifier.Batch, LabeledTokens>(examples, Rows.Classification<TinyClassifier.Batch>(), new LoaderOptions { Seed = 7 });
        var c = new BatchLoader<TinyClassifier.Batch, LabeledTokens>(examples, Rows.Classification<TinyClassifier.Batch>(), new LoaderOptions { Seed = 8 });

        int[] first = a.OrderOf(0);
        Assert.Equal(Enumerable.Range(0, 10), first.Order());
        Assert.Equal(first, b.OrderOf(0));
        Assert.NotEqual(first, a.OrderOf(1));
        Assert.NotEqual(first, c.OrderOf(0));
        Assert.Equal(first, a.OrderOf(0));
    }

    [Fact]
    public void Bucketing_puts_examples_of_similar_length_in_one_batch()
    {
        // 16 examples, lengths 1..4 four times over; one window covers the whole epoch, so each batch of 4 holds one length.
        LabeledTokens[] examples = Enumerable.Range(0, 16).Select(i => new LabeledTokens(Enumerable.Repeat(1, 1 + (i % 4)).ToArray(), 0)).ToArray();
        var loader = new BatchLoader<TinyClassifier.Batch, LabeledTokens>(examples, Rows.Classification<TinyClassifier.Batch>(),
            new LoaderOptions { Seed = 3, BucketWindow = 4 }, lengthOf: e => e.Tokens.Length);
        var batch = new TinyClassifier.Batch();
        var lengthsSeen = new System.Collections.Generic.List<int>();
        for (int b = 0; b < 4; b++)
        {
            loader.Fill(batch, b);
            int[] lengths = batch.TextLengths.AsSpan(0, 4).ToArray();
            Assert.All(lengths, length => Assert.Equal(lengths[0], length));
            lengthsSeen.Add(lengths[0]);
        }

        Assert.Equal(new[] { 1, 2, 3, 4 }, lengthsSeen.Order());
    }

    [Fact]
    public void Split_is_seeded_disjoint_and_complete()
    {
        int[] all = Enumerable.Range(0, 20).ToArray();
        var (train, validation) = DataSplit.Split(all, 0.25, seed: 5);
        Assert.Equal(15, train.Length);
        Assert.Equal(5, validation.Length);
        Assert.Equal(all, train.Concat(validation).Order());
        Assert.Equal(validation, DataSplit.Split(all, 0.25, seed: 5).Validation);
    }

    [Fact]
    public void Filling_allocates_nothing_after_construction()
    {
        TokenPair[] examples = Enumerable.Range(0, 9).Select(i => new TokenPair([3 + (i % 5)], [4, 5 + (i % 3)])).ToArray();
        var loader = new BatchLoader<TinyTranslator.Batch, TokenPair>(examples, Rows.TeacherForcing<TinyTranslator.Batch>(1, 2, 4),
            new LoaderOptions { Seed = 2 }, lengthOf: e => e.Source.Length);
        var batch = new TinyTranslator.Batch();
        long index = 0;
        Assert.Equal(0, Allocations.Measure(() => loader.Fill(batch, index++)));
    }
}
