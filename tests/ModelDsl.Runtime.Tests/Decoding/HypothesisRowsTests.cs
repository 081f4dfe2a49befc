using System;
using ModelDsl.Decoding;
using Xunit;

namespace ModelDsl.Runtime.Tests.Decoding;

public sealed class HypothesisRowsTests
{
    [Fact]
    public void Repeat_gives_each_source_row_to_its_hypotheses()
    {
        float[] source = [1, 2, 3, 4]; // two rows of 2
        var destination = new float[3 * 2 * 2];
        HypothesisRows.Repeat(source, destination, count: 2, width: 3, length: 2);
        Assert.Equal([1f, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4], destination);
    }

    [Fact]
    public void Gather_moves_the_used_part_of_each_row_even_when_sources_repeat_and_cross()
    {
        // Rows of stride 3, 2 used: row r becomes old row sources[r]; the third float of each row is left alone.
        float[] cache = [10, 11, 19, 20, 21, 29, 30, 31, 39];
        var scratch = new float[9];
        HypothesisRows.Gather(cache, [2, 0, 0], used: 2, stride: 3, scratch);
        Assert.Equal([30f, 31, 19, 10, 11, 29, 10, 11, 39], cache);
    }

    [Fact]
    public void Short_buffers_name_the_argument()
    {
        var error = Assert.Throws<ArgumentException>(() => HypothesisRows.Repeat(new float[4], new float[5], 2, 3, 2));
        Assert.Equal("destination", error.ParamName);
        error = Assert.Throws<ArgumentException>(() => HypothesisRows.Gather(new float[9], [0, 1, 2], 2, 3, new float[8]));
        Assert.Equal("scratch", error.ParamName);
    }
}
