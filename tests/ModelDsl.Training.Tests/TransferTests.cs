using System;
using System.IO;
using System.Linq;
using ModelDsl.IO;
using ModelDsl.Optim;

namespace ModelDsl.Training.Tests;

/// <summary>
/// Transfer learning on generated trainers: a checkpoint of <see cref="TinyClassifier"/> loaded non-strictly into
/// <see cref="FiveClassClassifier"/> (same embedding, a head of another shape), then the transferred member frozen.
/// </summary>
public sealed class TransferTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-transfer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void LoadMatchingParameters_LoadsTheEncoderAndReportsTheHead_ThenTheFrozenEncoderKeepsItsBits()
    {
        var source = new TinyClassifier(seed: 11);
        string path = Path.Combine(_folder, $"{Guid.NewGuid():N}.safetensors");
        using (var pretrain = source.CreateTrainer(new AdamW(1e-2f)))
        {
            pretrain.SaveCheckpoint(path);
        }

        var target = new FiveClassClassifier(seed: 12);
        float[] headBefore = Slice(target.Parameters.Span, FiveClassClassifier.ParameterTable, "head.weight");
        using var trainer = target.CreateTrainer(new AdamW(1e-2f, weightDecay: 0.1f));

        LoadReport report = trainer.LoadMatchingParameters(path);

        Assert.Equal(["tokens.weight"], report.Loaded);
        Assert.Equal(["head.weight", "head.bias"], report.ShapeMismatches);
        Assert.Empty(report.MissingKeys);
        Assert.Empty(report.UnexpectedKeys);
        Assert.Contains("head.weight: shape [3, 8] in the file, [5, 8] in the model", report.ToString(), StringComparison.Ordinal);
        float[] tokens = Slice(source.Parameters.Span, TinyClassifier.ParameterTable, "tokens.weight");
        Assert.Equal(tokens, Slice(target.Parameters.Span, FiveClassClassifier.ParameterTable, "tokens.weight"));
        Assert.Equal(headBefore, Slice(target.Parameters.Span, FiveClassClassifier.ParameterTable, "head.weight"));
        Assert.Equal(0, trainer.Steps);

        trainer.Freeze(nameof(FiveClassClassifier.Tokens));
        var batch = new FiveClassClassifier.Batch();
        batch.SetText(0, [1, 2, 3]);
        batch.SetLabel(0, 4);
        batch.SetText(1, [4, 5, 6, 7]);
        batch.SetLabel(1, 1);
        batch.Count = 2;
        for (int i = 0; i < 3; i++)
        {
            trainer.Step(batch);
        }

        Assert.Equal(tokens, Slice(target.Parameters.Span, FiveClassClassifier.ParameterTable, "tokens.weight"));
        Assert.NotEqual(headBefore, Slice(target.Parameters.Span, FiveClassClassifier.ParameterTable, "head.weight"));
    }

    private static float[] Slice(ReadOnlySpan<float> block, System.Collections.Generic.IReadOnlyList<ParameterEntry> table, string name)
    {
        ParameterEntry entry = table.Single(e => e.Name == name);
        return block.Slice(entry.Offset, entry.Length).ToArray();
    }
}
