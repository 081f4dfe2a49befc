using System;
using ModelDsl.Tests.Support;

namespace ModelDsl.Examples.DateTranslator.Tests;

public class ExactMatchByLengthTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(10, 0)]
    [InlineData(11, 1)]
    [InlineData(15, 1)]
    [InlineData(16, 2)]
    [InlineData(20, 2)]
    [InlineData(21, 3)]
    [InlineData(25, 3)]
    [InlineData(26, 4)]
    [InlineData(1000, 4)]
    public void BucketOf_BoundsAreInclusiveUpperEnds(int length, int bucket)
    {
        Assert.Equal(bucket, new ExactMatchByLength(10, 15, 20, 25).BucketOf(length));
    }

    [Fact]
    public void Labels_NameEachRange()
    {
        var tally = new ExactMatchByLength(10, 15, 20, 25);
        Assert.Equal(5, tally.BucketCount);
        Assert.Equal(["<= 10", "11-15", "16-20", "21-25", "26+"], Labels(tally));
        Assert.Equal(["<= 3", "4", "5-9", "10+"], Labels(new ExactMatchByLength(3, 4, 9)));
        Assert.Equal(["<= 7", "8+"], Labels(new ExactMatchByLength(7)));
    }

    [Fact]
    public void Add_CountsPerBucketAndOverall()
    {
        var tally = new ExactMatchByLength(10, 20);
        tally.Add(8, correct: true);
        tally.Add(10, correct: false);
        tally.Add(3, correct: true);
        tally.Add(29, correct: false);
        tally.Add(21, correct: false);
        tally.Add(40, correct: true);

        Assert.Equal([3, 0, 3], [tally.Pairs(0), tally.Pairs(1), tally.Pairs(2)]);
        Assert.Equal([2, 0, 1], [tally.Correct(0), tally.Correct(1), tally.Correct(2)]);
        Assert.Equal(2.0 / 3, tally.BucketAccuracy(0));
        Assert.True(double.IsNaN(tally.BucketAccuracy(1)), "an empty bucket has no rate");
        Assert.Equal(1.0 / 3, tally.BucketAccuracy(2));
        Assert.Equal(6, tally.TotalPairs);
        Assert.Equal(3, tally.TotalCorrect);
        Assert.Equal(0.5, tally.Accuracy);
    }

    [Fact]
    public void Clear_ForgetsCounts()
    {
        var tally = new ExactMatchByLength(5);
        tally.Add(4, correct: true);
        tally.Add(9, correct: false);
        tally.Clear();
        Assert.Equal(0, tally.TotalPairs);
        Assert.Equal(0, tally.TotalCorrect);
        Assert.Equal(0, tally.Pairs(0) + tally.Pairs(1));
        Assert.True(double.IsNaN(tally.Accuracy));
        tally.Add(9, correct: true);
        Assert.Equal(1.0, tally.BucketAccuracy(1));
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 0, 5 })]
    [InlineData(new[] { 10, 10 })]
    [InlineData(new[] { 10, 5 })]
    public void Constructor_RejectsBadBounds(int[] bounds)
    {
        Assert.Throws<ArgumentException>(() => new ExactMatchByLength(bounds));
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var tally = new ExactMatchByLength(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => tally.Add(-1, correct: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => tally.Pairs(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => tally.Label(-1));
    }

    [Fact]
    public void Add_AllocatesNothing()
    {
        var tally = new ExactMatchByLength(10, 15, 20, 25);
        int length = 0;
        Assert.Equal(0, Allocations.Measure(() => tally.Add(length++ % 30, correct: (length & 1) == 0)));
    }

    private static string[] Labels(ExactMatchByLength tally)
    {
        string[] labels = new string[tally.BucketCount];
        for (int bucket = 0; bucket < labels.Length; bucket++)
        {
            labels[bucket] = tally.Label(bucket);
        }

        return labels;
    }
}
