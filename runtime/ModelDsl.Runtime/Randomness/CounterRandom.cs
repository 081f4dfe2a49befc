using System;
using System.Runtime.CompilerServices;

namespace ModelDsl.Randomness;

/// <summary>
/// Counter-based random numbers: value <c>i</c> of stream <c>(seed, stream)</c> is a pure function
/// of those three integers, so a dropout mask or an initialization is the same whatever the
/// thread count or the order in which threads run. The mixer is SplitMix64's finalizer applied
/// to a Weyl sequence, which passes BigCrush as a 64-bit generator.
/// </summary>
public static class CounterRandom
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>64 random bits for index <paramref name="counter"/> of stream <paramref name="stream"/> under <paramref name="seed"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Bits(ulong seed, ulong stream, ulong counter)
    {
        ulong z = Mix(seed + Golden * (stream + 1)) + Golden * (counter + 1);
        return Mix(z);
    }

    /// <summary>A float uniform in [0, 1) with 24 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Uniform(ulong seed, ulong stream, ulong counter) =>
        (Bits(seed, stream, counter) >> 40) * (1f / (1 << 24));

    /// <summary>A double uniform in [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double UniformDouble(ulong seed, ulong stream, ulong counter) =>
        (Bits(seed, stream, counter) >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal value (Box–Muller on two uniforms derived from one 64-bit draw pair).</summary>
    public static double Normal(ulong seed, ulong stream, ulong counter)
    {
        // Two independent uniforms from counters 2i and 2i+1; u1 in (0, 1] so log is finite.
        double u1 = 1.0 - UniformDouble(seed, stream, 2 * counter);
        double u2 = UniformDouble(seed, stream, 2 * counter + 1);
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
