using System;
using System.Collections.Generic;
using System.Linq;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;

namespace ModelDsl.Training.Tests;

#pragma warning disable CS1591 // DSL declarations.

/// <summary>Every image layer and option: strided and padded convolutions, groups, dilation, both pools with padding, global pooling.</summary>
[Model(MaxBatch = 6)]
public partial class VisionCheckCnn
{
    [Input(Channels = 2, Height = 9, Width = 7)] public partial ImageInput Pixels { get; }
    [Conv2d(4, 3, Stride = 2, Padding = 1)] public partial Conv2dLayer Conv1 { get; }
    [Activation(Activation.Tanh)] public partial ActivationLayer Act1 { get; }
    [MaxPool2d(2, Stride = 1, Padding = 1)] public partial Pool2dLayer Pool1 { get; }
    [Conv2d(6, 2, Dilation = 2, Groups = 2)] public partial Conv2dLayer Conv2 { get; }
    [AvgPool2d(2, Stride = 1)] public partial Pool2dLayer Pool2 { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>A convolution without bias straight on the batch, then global average pooling to a regression head.</summary>
[Model(MaxBatch = 8)]
public partial class VisionGlobalRegressor
{
    [Input(Channels = 3, Height = 6, Width = 6)] public partial ImageInput Pixels { get; }
    [Conv2d(5, 3, Bias = false, InChannels = 3)] public partial Conv2dLayer Conv { get; }
    [Activation(Activation.Sigmoid)] public partial ActivationLayer Act { get; }
    [GlobalAvgPool2d] public partial Pool2dLayer Pool { get; }
    [Dense(2)] [MseLoss] public partial Dense Out { get; }
}

/// <summary>A small ViT on rectangular images: 4x3 patches of 2x2 plus the class token, a pre-norm encoder with the key-padding mask (every row full).</summary>
[Model(MaxBatch = 6)]
public partial class VisionCheckVit
{
    [Input(Channels = 2, Height = 8, Width = 6)] public partial ImageInput Pixels { get; }
    [PatchEmbedding(2, 8)] public partial PatchEmbeddingLayer Patches { get; }
    [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 16, Dropout = 0f, NormFirst = true, Mask = Masks.KeyPadding)] public partial EncoderStack Encoder { get; }
    [FirstTokenPool] public partial Pool Cls { get; }
    [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
}

#pragma warning restore CS1591

/// <summary>
/// Generated CNNs end to end: the backward of every image layer against central differences of the generated loss, a training
/// step that allocates nothing, and the image Batch's checks. (PyTorch parity: ModelDsl.Parity.Tests/VisionParityTests.cs.)
/// </summary>
public sealed class VisionModelTests
{
    private static float[] Values(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (2f * (float)random.NextDouble()) - 1f;
        }

        return values;
    }

    private static VisionCheckCnn.Batch CheckBatch()
    {
        var random = new Random(5);
        var batch = new VisionCheckCnn.Batch();
        for (int row = 0; row < 5; row++)
        {
            batch.SetPixels(row, Values(random, 2 * 9 * 7));
            batch.SetLabel(row, row % 3);
        }

        batch.Count = 5;
        return batch;
    }

    private static VisionGlobalRegressor.Batch RegressorBatch()
    {
        var random = new Random(6);
        var batch = new VisionGlobalRegressor.Batch();
        for (int row = 0; row < 8; row++)
        {
            batch.SetPixels(row, Values(random, 3 * 6 * 6));
            batch.SetTarget(row, Values(random, 2));
        }

        batch.Count = 8;
        return batch;
    }

    [Fact]
    public void Cnn_backward_matches_central_differences_for_every_parameter_tensor()
    {
        var model = new VisionCheckCnn(seed: 3);
        VisionCheckCnn.Batch batch = CheckBatch();
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        AssertGradients(VisionCheckCnn.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
    }

    [Fact]
    public void Global_pooling_regressor_backward_matches_central_differences()
    {
        var model = new VisionGlobalRegressor(seed: 4);
        VisionGlobalRegressor.Batch batch = RegressorBatch();
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        AssertGradients(VisionGlobalRegressor.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
    }

    // Central differences with Richardson extrapolation of the generated float32 loss, as the generator tests' harness. Budget:
    // 1e-3 + 2% of the estimate (float32 rounding of a loss near 1 over steps of 1e-2); a missing or misplaced gradient term is
    // off by tens of percent or more.
    internal static void AssertGradients(IReadOnlyList<ParameterEntry> table, ModelDsl.Memory.AlignedBlock parameters, Func<float> gradients, Func<float> loss, Func<float[]> read)
    {
        gradients();
        float[] g = read();
        var failures = new List<string>();
        int nonZero = 0, checkedCount = 0;
        foreach (ParameterEntry entry in table)
        {
            for (int s = 0; s < Math.Min(6, entry.Length); s++)
            {
                int i = entry.Offset + (int)(((s * 7919L) + 13) % entry.Length);
                double coarse = Difference(parameters, i, 1e-2f, loss);
                double fine = Difference(parameters, i, 5e-3f, loss);
                double numeric = ((4 * fine) - coarse) / 3;
                checkedCount++;
                nonZero += Math.Abs(numeric) > 1e-4 ? 1 : 0;
                if (Math.Abs(g[i] - numeric) > 1e-3 + (0.02 * Math.Abs(numeric)))
                {
                    failures.Add(entry.Name + "[" + (i - entry.Offset) + "]: analytic " + g[i] + ", numeric " + numeric);
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(nonZero > checkedCount / 2, $"only {nonZero} of {checkedCount} checked gradients are non-zero");
    }

    private static double Difference(ModelDsl.Memory.AlignedBlock parameters, int i, float h, Func<float> loss)
    {
        float saved = parameters.Span[i];
        parameters.Span[i] = saved + h;
        double plus = loss();
        parameters.Span[i] = saved - h;
        double minus = loss();
        parameters.Span[i] = saved;
        return (plus - minus) / (2.0 * h);
    }

    [Fact]
    public void Training_steps_allocate_nothing()
    {
        var cnn = new VisionCheckCnn(seed: 7);
        VisionCheckCnn.Batch batch = CheckBatch();
        using var trainer = cnn.CreateTrainer(new AdamW(1e-3f), threads: 2);
        var regressor = new VisionGlobalRegressor(seed: 8);
        VisionGlobalRegressor.Batch regression = RegressorBatch();
        using var regressorTrainer = regressor.CreateTrainer(new Adam(1e-3f), threads: 2);

        Assert.Equal(0, Allocations.Measure(() => trainer.Step(batch)));
        Assert.Equal(0, Allocations.Measure(() => trainer.Evaluate(batch)));
        Assert.Equal(0, Allocations.Measure(() => regressorTrainer.Step(regression)));
    }

    [Fact]
    public void A_cnn_learns_where_the_bright_square_is()
    {
        // Label = the quadrant of a bright 3x3 square on noise: needs the convolution and pooling to locate it.
        var model = new VisionCheckCnn(seed: 11);
        using var trainer = model.CreateTrainer(new Adam(1e-2f), threads: 2);
        var random = new Random(12);
        var batch = new VisionCheckCnn.Batch();
        var losses = new List<float>();
        for (int step = 0; step < 300; step++)
        {
            for (int row = 0; row < 6; row++)
            {
                float[] image = Values(random, 2 * 9 * 7);
                for (int i = 0; i < image.Length; i++)
                {
                    image[i] *= 0.3f;
                }

                int label = random.Next(3), x0 = label * 2, y0 = random.Next(7);
                for (int y = y0; y < y0 + 3 && y < 9; y++)
                {
                    for (int x = x0; x < x0 + 3; x++)
                    {
                        image[(y * 7) + x] += 2f;
                    }
                }

                batch.SetPixels(row, image);
                batch.SetLabel(row, label);
            }

            batch.Count = 6;
            losses.Add(trainer.Step(batch));
        }

        double first = losses.Take(20).Average(), last = losses.Skip(280).Average();
        Assert.True(last < 0.25 * first, $"loss {first} -> {last}");
    }

    private static VisionCheckVit.Batch VitBatch()
    {
        var random = new Random(9);
        var batch = new VisionCheckVit.Batch();
        for (int row = 0; row < 5; row++)
        {
            batch.SetPixels(row, Values(random, 2 * 8 * 6));
            batch.SetLabel(row, row % 3);
        }

        batch.Count = 5;
        return batch;
    }

    [Fact]
    public void Vit_backward_matches_central_differences_for_every_parameter_tensor()
    {
        var model = new VisionCheckVit(seed: 3);
        VisionCheckVit.Batch batch = VitBatch();
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        Assert.Contains(VisionCheckVit.ParameterTable, entry => entry.Name == "patches.cls_token");
        Assert.Contains(VisionCheckVit.ParameterTable, entry => entry.Name == "patches.pos_embed" && entry.Length == 13 * 8);
        AssertGradients(VisionCheckVit.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
    }

    [Fact]
    public void Vit_training_steps_allocate_nothing()
    {
        var model = new VisionCheckVit(seed: 7);
        VisionCheckVit.Batch batch = VitBatch();
        using var trainer = model.CreateTrainer(new AdamW(1e-3f), threads: 2);
        Assert.Equal(0, Allocations.Measure(() => trainer.Step(batch)));
        Assert.Equal(0, Allocations.Measure(() => trainer.Evaluate(batch)));
    }

    [Fact]
    public void Activation_gives_the_last_passes_buffers_by_name_with_attention_as_softmax_of_the_saved_queries_and_keys()
    {
        var model = new VisionCheckVit(seed: 5);
        VisionCheckVit.Batch batch = VitBatch();
        using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
        Assert.Equal(0, trainer.Activation("encoder_layers_0_self_attn_probs").Length); // no pass yet
        trainer.Evaluate(batch);

        // The input buffer holds the batch's pixels; the head's buffer is the logits.
        Assert.Equal(batch.Pixels.AsSpan(0, 5 * 96).ToArray(), trainer.Activation("pixels_input").ToArray());
        Assert.Equal(trainer.Logits.ToArray(), trainer.Activation("head").ToArray());

        // probs [B, heads, T, T] against softmax(q k^T / sqrt(d)) computed here from the fused qkv buffer [B, T, 3 D]
        // (q, k, v side by side, head h in columns h d .. h d + d of each): every row is full (key-padding mask, no padding).
        const int B = 5, heads = 2, T = 13, d = 4, D = heads * d;
        ReadOnlySpan<float> qkv = trainer.Activation("encoder_layers_0_self_attn_qkv");
        ReadOnlySpan<float> probs = trainer.Activation("encoder_layers_0_self_attn_probs");
        Assert.Equal(B * T * 3 * D, qkv.Length);
        Assert.Equal(B * heads * T * T, probs.Length);
        var scores = new double[T];
        for (int b = 0; b < B; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < T; i++)
                {
                    double max = double.NegativeInfinity, sum = 0;
                    for (int j = 0; j < T; j++)
                    {
                        double dot = 0;
                        for (int c = 0; c < d; c++)
                        {
                            dot += (double)qkv[(((b * T) + i) * 3 * D) + (h * d) + c] * qkv[(((b * T) + j) * 3 * D) + D + (h * d) + c];
                        }

                        scores[j] = dot / Math.Sqrt(d);
                        max = Math.Max(max, scores[j]);
                    }

                    for (int j = 0; j < T; j++)
                    {
                        scores[j] = Math.Exp(scores[j] - max);
                        sum += scores[j];
                    }

                    for (int j = 0; j < T; j++)
                    {
                        // 1e-5 absolute: float softmax of float scores (products of 4 terms of magnitude ~1) against this double one.
                        Assert.Equal(scores[j] / sum, probs[(((((b * heads) + h) * T) + i) * T) + j], 1e-5);
                    }
                }
            }
        }

        Assert.Contains("encoder_layers_0_self_attn_probs", VisionCheckVit.Trainer.ActivationNames);
        var unknown = Assert.Throws<ArgumentException>(() => trainer.Activation("encoder_layers_1_self_attn_probs"));
        Assert.StartsWith("VisionCheckVit.Trainer has no activation named 'encoder_layers_1_self_attn_probs'", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vit_learns_which_patch_column_is_bright()
    {
        // Label = the column of 2x2 patches (0, 1 or 2) holding a bright bar on noise: the class token must attend to that patch.
        var model = new VisionCheckVit(seed: 11);
        using var trainer = model.CreateTrainer(new Adam(3e-3f), threads: 2);
        var random = new Random(12);
        var batch = new VisionCheckVit.Batch();
        var losses = new List<float>();
        for (int step = 0; step < 300; step++)
        {
            for (int row = 0; row < 6; row++)
            {
                float[] image = Values(random, 2 * 8 * 6);
                for (int i = 0; i < image.Length; i++)
                {
                    image[i] *= 0.3f;
                }

                int label = random.Next(3), y0 = 2 * random.Next(4);
                for (int y = y0; y < y0 + 2; y++)
                {
                    for (int x = 2 * label; x < (2 * label) + 2; x++)
                    {
                        image[(y * 6) + x] += 2f;
                    }
                }

                batch.SetPixels(row, image);
                batch.SetLabel(row, label);
            }

            batch.Count = 6;
            losses.Add(trainer.Step(batch));
        }

        double first = losses.Take(20).Average(), last = losses.Skip(280).Average();
        Assert.True(last < 0.25 * first, $"loss {first} -> {last}");
    }

    [Fact]
    public void The_image_batch_refuses_a_wrong_size_and_names_a_non_finite_pixel()
    {
        var batch = new VisionCheckCnn.Batch();
        var wrong = Assert.Throws<ArgumentException>(() => batch.SetPixels(0, new float[2 * 9 * 7 - 1]));
        Assert.StartsWith("VisionCheckCnn.Batch.Pixels: expected an image of 2 x 9 x 7 = 126 values (channels x height x width), got 125.", wrong.Message, StringComparison.Ordinal);

        var pixels = new float[2 * 9 * 7];
        pixels[(((1 * 9) + 4) * 7) + 6] = float.NaN; // channel 1, y 4, x 6
        var nan = Assert.Throws<ArgumentException>(() => batch.SetPixels(3, pixels));
        Assert.StartsWith("VisionCheckCnn.Batch.Pixels: value NaN at row 3, index 97 (channel 1, y 4, x 6) is not finite", nan.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.SetPixels(6, new float[126]));
        Assert.All(batch.Pixels, value => Assert.Equal(0f, value)); // nothing was written by the refused calls
    }
}
