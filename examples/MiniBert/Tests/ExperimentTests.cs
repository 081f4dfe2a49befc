using System;
using System.IO;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.IO;
using ModelDsl.Tokenization;

namespace ModelDsl.Examples.MiniBert.Tests;

/// <summary>A short run of both phases: the masking reaches the generated batch, pretraining learns, the encoder transfers.</summary>
public sealed class ExperimentTests : IDisposable
{
    private static readonly Lazy<(FortuneSplit Split, WordVocabulary Vocabulary)> Data = new(() =>
    {
        FortuneSplit split = Fortunes.Split(Fortunes.Load(Fortunes.DefaultPath));
        return (split, Fortunes.Vocabulary(split.Pretraining));
    });

    private readonly string _folder = Directory.CreateTempSubdirectory("minibert-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_masking_row_writer_fills_the_generated_batch_with_masked_words_and_their_labels()
    {
        WordVocabulary vocabulary = Data.Value.Vocabulary;
        var masking = new MaskedLanguageModeling(vocabulary, seed: 7, rate: 1f, maskFraction: 1f, randomFraction: 0f);
        int[] ids = Fortunes.Encode(vocabulary, new Fortune("science", "The laws of physics are the same everywhere."));
        var batch = new MiniBertPretraining.Batch();
        masking.RowWriter<MiniBertPretraining.Batch>(Sizes.Length)(batch, 0, ids);
        batch.Count = 1;

        // rate 1: every word is masked and labelled; <cls> and <unk> (special tokens) are kept and unlabelled.
        ReadOnlySpan<int> labels = ((ModelDsl.Training.IBatchRows)batch).LabelsOf(0);
        Assert.Equal(ids.Length, labels.Length);
        Assert.Contains(vocabulary.Special.Unknown, ids);                  // "physics" is not among the 1000 words
        for (int t = 0; t < ids.Length; t++)
        {
            bool special = ids[t] < vocabulary.SpecialCount;
            Assert.Equal(special ? ids[t] : vocabulary.Special.Mask, batch.Text[t]);
            Assert.Equal(special ? -100 : ids[t], labels[t]);
        }
    }

    [Fact]
    public void The_pair_writer_fills_the_masked_pair_its_word_labels_and_its_next_sentence_label()
    {
        WordVocabulary vocabulary = Data.Value.Vocabulary;
        var masking = new MaskedLanguageModeling(vocabulary, seed: 7, rate: 1f, maskFraction: 1f, randomFraction: 0f);
        int the = vocabulary.IdOf("the"), cat = vocabulary.IdOf("cat");
        SentencePair pair = new([vocabulary.Special.Cls, the, cat, vocabulary.Special.Sep, cat, vocabulary.Special.Sep], [0, 0, 0, 0, 1, 1], 1);
        var batch = new MiniBertPretraining.Batch();
        Experiment.PairWriter(masking, sameEveryTime: false)(batch, 0, pair);
        batch.Count = 1;

        int mask = vocabulary.Special.Mask;
        Assert.Equal([vocabulary.Special.Cls, mask, mask, vocabulary.Special.Sep, mask, vocabulary.Special.Sep], batch.Text[..6]);
        Assert.Equal([-100, the, cat, -100, cat, -100], batch.MlmLabels[..6]);
        Assert.Equal(1, batch.NspLabels[0]);
    }

    [Fact]
    public void A_short_pretraining_learns_and_its_encoder_is_what_fine_tuning_loads()
    {
        (FortuneSplit split, WordVocabulary vocabulary) = Data.Value;
        var settings = new Settings(PretrainSteps: 60, FineTuneSteps: 6, Threads: 1);
        var log = new StringWriter();
        string path = Path.Combine(_folder, $"{Guid.NewGuid():N}.safetensors");

        Pretrained pretrained = Experiment.Pretrain(split, vocabulary, settings, path, log);

        // A uniform guess over the 1000 ids costs ln 1000 = 6.91 nats per masked word; after 60 steps the model must have
        // learned part of the word frequencies (their entropy, the unigram model's loss, is 4.60 nats: <unk> is 21 % of the words), so below 6.
        Assert.InRange(pretrained.MlmLoss, 0, 6.0);
        Assert.InRange(pretrained.NspLoss, 0, 2.0);                  // finite; a coin flip costs ln 2 = 0.693
        Assert.InRange(pretrained.MaskedAccuracy, 0.02, 1);     // frequent words ("the", ",") are guessed from the start
        Assert.Contains("fit: Completed after 60 steps", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("(Mlm ", log.ToString(), StringComparison.Ordinal);                       // each head's loss in the progress
        Assert.Contains(", Nsp ", log.ToString(), StringComparison.Ordinal);

        FineTuned fineTuned = Experiment.FineTune(split, vocabulary, settings, path, log);
        LoadReport report = fineTuned.Report!;
        // Everything up to the encoder comes from the file; the MLM and NSP heads are left there, the new head keeps its initialization.
        Assert.Equal(MiniBertClassifier.ParameterTable.Count - 2, report.Loaded.Count);               // all but head.*
        Assert.Contains("tokens.weight", report.Loaded);
        Assert.Contains("positions.weight", report.Loaded);
        Assert.Contains("embedding_norm.weight", report.Loaded);
        Assert.Contains(report.Loaded, name => name.StartsWith("encoder.layers.1.", StringComparison.Ordinal));
        Assert.Equal(["mlm.bias", "mlm.weight", "nsp.bias", "nsp.weight"], report.UnexpectedKeys.Order());
        Assert.Equal(["head.bias", "head.weight"], report.MissingKeys.Order());
        Assert.Empty(report.ShapeMismatches);
        Assert.InRange(fineTuned.Accuracy, 0, 1);
        Assert.InRange(fineTuned.ValidationAccuracy, 0, 1);
        // The test set: both items of every consecutive sentence pair of the test fortunes of two sentences or more.
        Assert.Equal(Fortunes.ContinuationPairs(vocabulary, split.Test, seed: 0).Count, fineTuned.TestItems);
        Assert.InRange(fineTuned.StandardDeviation, 0, 0.5 / Math.Sqrt(fineTuned.TestItems));          // sqrt(p (1 - p) / n) is at most 0.5 / sqrt(n)
        Assert.Contains($"validating on {Fortunes.ContinuationPairs(vocabulary, split.Train[..Experiment.ValidationCount], seed: 0).Count} items", log.ToString(), StringComparison.Ordinal);

        // From scratch nothing is loaded; validation only leaves the test fortunes unread.
        FineTuned scratch = Experiment.FineTune(split, vocabulary, settings with { ValidationOnly = true }, pretrained: null, log);
        Assert.Null(scratch.Report);
        Assert.True(double.IsNaN(scratch.Accuracy));
        Assert.Equal(0, scratch.TestItems);
        Assert.InRange(scratch.ValidationAccuracy, 0, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => Experiment.FineTune(split, vocabulary, settings with { Labelled = Experiment.MaxLabelled + 1 }, null, log));
    }
}
