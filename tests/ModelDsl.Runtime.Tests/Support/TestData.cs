using System;

namespace ModelDsl.Tests.Support;

/// <summary>Seeded random tensors for tests: the same seed always gives the same values.</summary>
public static class TestData
{
    /// <summary>Uniform floats in [-scale, scale).</summary>
    public static float[] Uniform(int length, int seed, float scale = 1f)
    {
        var random = new System.Random(seed);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        return values;
    }

    /// <summary>Uniform doubles in [-scale, scale).</summary>
    public static double[] UniformDouble(int length, int seed, double scale = 1)
    {
        var random = new System.Random(seed);
        var values = new double[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (random.NextDouble() * 2 - 1) * scale;
        }

        return values;
    }

    /// <summary>Widens floats to doubles.</summary>
    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }

    /// <summary>Narrows doubles to floats.</summary>
    public static float[] ToSingle(ReadOnlySpan<double> values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = (float)values[i];
        }

        return result;
    }
}
