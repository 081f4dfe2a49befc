using System;
using ModelDsl.Kernels;
using Xunit;

namespace ModelDsl.Runtime.Tests.Kernels;

public sealed class KernelProfileTests
{
    [Fact]
    public void Profiling_is_off_unless_the_switch_is_set_and_reset_says_how_to_turn_it_on()
    {
        // The test host never sets ModelDsl.KernelProfile, so the hooks must be inert here.
        Assert.False(KernelProfile.Enabled);
        var error = Assert.Throws<InvalidOperationException>(KernelProfile.Reset);
        Assert.Contains(KernelProfile.SwitchName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kernels_record_nothing_while_profiling_is_off()
    {
        var output = new float[6];
        Residual.Forward(output, new float[] { 1, 2, 3, 4, 5, 6 }, new float[6]);
        Gemm.Multiply(output, new float[] { 1, 2 }, false, new float[] { 1, 2, 3 }, false, 2, 3, 1);
        Assert.Equal(0, KernelProfile.Calls(KernelFamily.Copy));
        Assert.Equal(0, KernelProfile.Calls(KernelFamily.Gemm));
        Assert.Equal(TimeSpan.Zero, KernelProfile.Elapsed(KernelFamily.Gemm));
    }

    [Fact]
    public void Nested_kernels_are_timed_exclusively_and_the_outer_one_resumes()
    {
        var times = new KernelTimeAccumulator();
        times.Begin(KernelFamily.Recurrent, 100);  // recurrent 100..110
        times.Begin(KernelFamily.Gemm, 110);       // gemm 110..150
        times.Begin(KernelFamily.Gemm, 120);       // nested gemm 120..130 still counts as gemm
        times.End(130);
        times.End(150);
        times.Begin(KernelFamily.Softmax, 160);    // recurrent 150..160, softmax 160..165
        times.End(165);
        times.End(200);                            // recurrent 165..200

        Assert.Equal(10 + 10 + 35, times.Ticks(KernelFamily.Recurrent));
        Assert.Equal(40, times.Ticks(KernelFamily.Gemm));
        Assert.Equal(5, times.Ticks(KernelFamily.Softmax));
        Assert.Equal(1, times.Calls(KernelFamily.Recurrent));
        Assert.Equal(2, times.Calls(KernelFamily.Gemm));

        // An unmatched End is ignored; Clear starts over.
        times.End(300);
        Assert.Equal(55, times.Ticks(KernelFamily.Recurrent));
        times.Clear();
        Assert.Equal(0, times.Ticks(KernelFamily.Gemm));
        Assert.Equal(0, times.Calls(KernelFamily.Gemm));
    }

    [Fact]
    public void Nesting_deeper_than_the_stack_keeps_the_outer_levels_exact()
    {
        var times = new KernelTimeAccumulator();
        times.Begin(KernelFamily.Attention, 0);
        for (int i = 0; i < 40; i++)
        {
            times.Begin(KernelFamily.Gemm, 10);
        }

        for (int i = 0; i < 40; i++)
        {
            times.End(20);
        }

        times.End(30);
        Assert.Equal(20, times.Ticks(KernelFamily.Attention));
        Assert.Equal(40, times.Calls(KernelFamily.Gemm));
    }
}
