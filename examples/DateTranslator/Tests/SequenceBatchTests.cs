using System;

namespace ModelDsl.Examples.DateTranslator.Tests;

public class SequenceBatchTests
{
    [Fact]
    public void SetRow_LaysOutSourceDecoderInputAndLabels()
    {
        var batch = new SequenceBatch(maxBatch: 2, sourceColumns: 5, targetLength: 3);
        Array.Fill(batch.Source, 99);
        batch.SetRow(1, [7, 8], [20, 21]);
        batch.Count = 2;
        Assert.Equal([7, 8, 0, 0, 0], batch.Source[5..]);
        Assert.Equal(2, batch.SourceLengths[1]);
        Assert.Equal([1, 20, 21, 0], batch.DecoderInput[4..]);
        Assert.Equal([20, 21, 2, -100], batch.Labels[4..]);
        Assert.Equal(3, batch.TargetLengths[1]);
        Assert.Equal([7, 8], batch.SourceRow(1).ToArray());
        Assert.Equal([1, 20, 21], batch.DecoderInputRow(1).ToArray());
        Assert.Equal([20, 21, 2], batch.LabelRow(1).ToArray());
    }

    [Fact]
    public void Longest_LooksOnlyAtRowsInUse()
    {
        var batch = new SequenceBatch(3, 6, 4);
        batch.SetRow(0, [3, 3], [4]);
        batch.SetRow(1, [3, 3, 3, 3], [4, 4, 4]);
        batch.SetRow(2, [3, 3, 3, 3, 3, 3], [4, 4, 4, 4]);
        batch.Count = 2;
        Assert.Equal(4, batch.LongestSource());
        Assert.Equal(4, batch.LongestTarget());
    }

    [Fact]
    public void SetRow_TooLong_Throws()
    {
        var batch = new SequenceBatch(1, 2, 2);
        Assert.Throws<ArgumentException>(() => batch.SetRow(0, [3, 3, 3], [4]));
        Assert.Throws<ArgumentException>(() => batch.SetRow(0, [3], [4, 4, 4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.SetRow(1, [3], [4]));
    }
}
