using System;

namespace ModelDsl.Tests.Support;

[Collection(AllocationCollection.Name)]
public sealed class AllocationsTests
{
    private static object? s_sink;

    [Fact]
    public void Measure_SeesAnAllocationOnEveryCall()
    {
        // The counter must be able to fail: an action that allocates 1 KB per call is reported.
        long bytes = Allocations.Measure(() => s_sink = new byte[1024]);
        Assert.True(bytes >= 5 * 1024, $"measured {bytes} bytes for five 1 KB allocations");
        GC.KeepAlive(s_sink);
    }

    [Fact]
    public void Measure_SeesAnAllocationOnAnotherThread()
    {
        long bytes = Allocations.Measure(() =>
        {
            var thread = new System.Threading.Thread(() => s_sink = new byte[4096]);
            thread.Start();
            thread.Join();
        });
        Assert.True(bytes >= 5 * 4096, $"measured {bytes} bytes for five 4 KB allocations on other threads");
    }
}
