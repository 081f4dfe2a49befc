using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelDsl.Onnx.Tests;

/// <summary>Writes a graph with <see cref="OnnxFile"/>, runs it in ONNX Runtime (CPU, one thread) and packs ModelDsl batches as its inputs.</summary>
internal static class OnnxRun
{
    /// <summary>
    /// Float32 outputs of two implementations of the same math differ by the order of their sums (ONNX Runtime's MLAS GEMM and
    /// softmax vs ModelDsl's blocked kernels): each dot product of up to 128 terms rounds differently by a few ulps, and
    /// LayerNorm, softmax and the residual stacks carry that forward. Logits here are O(1..10); the largest difference measured
    /// over every comparison of this project is 1.2e-5 absolute (TinyGpt's logits; the others 6e-8..4e-6), so 1e-4 absolute +
    /// 1e-4 relative leaves an 8x margin while still catching any real error (a wrong mask, weight or layout changes outputs by
    /// 1e-2 or more).
    /// </summary>
    public const float Tolerance = 1e-4f;

    /// <summary>A unique temporary .onnx path.</summary>
    public static string TempPath() => Path.Combine(Path.GetTempPath(), "modeldsl-onnx-" + Guid.NewGuid().ToString("N") + ".onnx");

    /// <summary>Runs the file with the given inputs; returns the first output's values and dimensions.</summary>
    public static (float[] Values, int[] Dims) Run(string path, params NamedOnnxValue[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(path, options);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(inputs);
        foreach (DisposableNamedOnnxValue result in results)
        {
            Tensor<float> tensor = result.AsTensor<float>();
            return (tensor.ToArray(), tensor.Dimensions.ToArray());
        }

        throw new InvalidOperationException("the graph has no output");
    }

    /// <summary>Runs the file with the given inputs; returns every output by name.</summary>
    public static Dictionary<string, (float[] Values, int[] Dims)> RunAll(InferenceSession session, IReadOnlyCollection<NamedOnnxValue> inputs)
    {
        var outputs = new Dictionary<string, (float[], int[])>(StringComparer.Ordinal);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(inputs);
        foreach (DisposableNamedOnnxValue result in results)
        {
            Tensor<float> tensor = result.AsTensor<float>();
            outputs[result.Name] = (tensor.ToArray(), tensor.Dimensions.ToArray());
        }

        return outputs;
    }

    /// <summary>Token ids of <paramref name="rows"/> rows stored with stride <paramref name="maxLength"/>, packed to int64 <c>[rows, length]</c>.</summary>
    public static NamedOnnxValue Ids(string name, int[] ids, int maxLength, int rows, int length)
    {
        var tensor = new DenseTensor<long>(new[] { rows, length });
        for (int r = 0; r < rows; r++)
        {
            for (int t = 0; t < length; t++)
            {
                tensor[r, t] = ids[(r * maxLength) + t];
            }
        }

        return NamedOnnxValue.CreateFromTensor(name, tensor);
    }

    /// <summary>Valid lengths as int64 <c>[rows]</c>.</summary>
    public static NamedOnnxValue Lengths(string name, int[] lengths, int rows)
    {
        var tensor = new DenseTensor<long>(new[] { rows });
        for (int r = 0; r < rows; r++)
        {
            tensor[r] = lengths[r];
        }

        return NamedOnnxValue.CreateFromTensor(name, tensor);
    }

    /// <summary>Feature rows stored with stride <paramref name="maxLength"/> × <paramref name="features"/>, packed to <c>[rows, length, features]</c>.</summary>
    public static NamedOnnxValue Features(string name, float[] values, int maxLength, int features, int rows, int length)
    {
        var tensor = new DenseTensor<float>(new[] { rows, length, features });
        for (int r = 0; r < rows; r++)
        {
            for (int t = 0; t < length; t++)
            {
                for (int f = 0; f < features; f++)
                {
                    tensor[r, t, f] = values[(((r * maxLength) + t) * features) + f];
                }
            }
        }

        return NamedOnnxValue.CreateFromTensor(name, tensor);
    }

    /// <summary>Dense features <c>[rows, features]</c>.</summary>
    public static NamedOnnxValue Dense(string name, float[] values, int features, int rows) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(values.AsMemory(0, rows * features), new[] { rows, features }));

    /// <summary>An adjacency stored <c>[MaxBatch, maxLength, maxLength]</c>, packed to bool <c>[rows, length, length]</c>.</summary>
    public static NamedOnnxValue Adjacency(string name, bool[] allowed, int maxLength, int rows, int length)
    {
        var tensor = new DenseTensor<bool>(new[] { rows, length, length });
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < length; i++)
            {
                for (int j = 0; j < length; j++)
                {
                    tensor[r, i, j] = allowed[(((r * maxLength) + i) * maxLength) + j];
                }
            }
        }

        return NamedOnnxValue.CreateFromTensor(name, tensor);
    }

    /// <summary>Asserts equal lengths and every element within <see cref="Tolerance"/> (absolute + relative); returns the largest difference.</summary>
    public static float AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0f;
        for (int i = 0; i < expected.Length; i++)
        {
            float difference = MathF.Abs(expected[i] - actual[i]);
            Assert.True(float.IsFinite(actual[i]), what + "[" + i + "] is " + actual[i]);
            Assert.True(difference <= Tolerance + (Tolerance * MathF.Abs(expected[i])), what + "[" + i + "]: ModelDsl " + expected[i] + ", ONNX Runtime " + actual[i]);
            worst = MathF.Max(worst, difference);
        }

        return worst;
    }
}
