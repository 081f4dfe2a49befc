using System;
using ModelDsl.Memory;

namespace ModelDsl.Tests.Memory;

public sealed unsafe class BlockLayoutTests
{
    [Fact]
    public void Segments_StartOn64ByteBoundaries()
    {
        var layout = new BlockLayout();
        var a = layout.Add("a", 3);
        var b = layout.Add("b", 17);
        var c = layout.Add("c", 0);
        var d = layout.Add("d", 16);
        Assert.Equal(0, a.Offset);
        Assert.Equal(16, b.Offset);
        Assert.Equal(48, c.Offset);
        Assert.Equal(48, d.Offset);
        Assert.Equal(64, layout.TotalLength);

        using var block = new AlignedBlock(layout);
        Assert.Equal(0, (nint)block.Pointer % AlignedBlock.Alignment);
        Assert.Equal(17, block[b].Length);
        Assert.Equal(layout["b"], b);
    }

    [Fact]
    public void Block_IsZeroedAndWritable()
    {
        using var block = new AlignedBlock(1000);
        Assert.All(block.Span.ToArray(), v => Assert.Equal(0f, v));
        block.Span.Fill(2f);
        block.Clear();
        Assert.Equal(0f, block.Span[999]);
    }

    [Fact]
    public void Add_RejectsDuplicateNames()
    {
        var layout = new BlockLayout();
        layout.Add("encoder.weight", 4);
        var error = Assert.Throws<ArgumentException>(() => layout.Add("encoder.weight", 4));
        Assert.Contains("encoder.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lookup_UnknownName_NamesIt()
    {
        var layout = new BlockLayout();
        var error = Assert.Throws<System.Collections.Generic.KeyNotFoundException>(() => layout["decoder.bias"]);
        Assert.Contains("decoder.bias", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disposed_Block_Throws()
    {
        var block = new AlignedBlock(4);
        block.Dispose();
        Assert.Throws<ObjectDisposedException>(() => block.Span.Length);
    }
}
