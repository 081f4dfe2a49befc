using System;
using System.IO;
using ModelDsl.IO;
using ModelDsl.Kernels;
using ModelDsl.Optim;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.IO;

public sealed class CheckpointTests : IDisposable
{
    private const int Rows = 8, In = 5, Out = 3;
    private static readonly ParameterInfo[] Layout = [new("linear.weight", 0, [Out, In]), new("linear.bias", 16, [Out])];
    private readonly string _folder = Directory.CreateTempSubdirectory("modeldsl-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>
    /// A small training run: dropout on the input (counter-based, advancing the random offset), a linear
    /// layer, MSE against a fixed target, AdamW. Everything that changes over time is in the parameters,
    /// the optimizer state and the <see cref="TrainingPosition"/>.
    /// </summary>
    private sealed class Run
    {
        public readonly float[] Parameters = new float[19];
        public readonly AdamW Optimizer = new(0.05f);
        public readonly float[] State;
        public TrainingPosition Position = new(0, Seed: 7, RandomOffset: 0);
        private readonly float[] _x = TestData.Uniform(Rows * In, 1);
        private readonly float[] _target = TestData.Uniform(Rows * Out, 2);

        public Run()
        {
            State = new float[Optimizer.StateLength(Parameters.Length)];
            Optimizer.InitializeState(State, Parameters.Length);
            TestData.Uniform(19, 3).CopyTo(Parameters, 0);
        }

        public float Step()
        {
            var dropped = new float[_x.Length];
            var mask = new byte[_x.Length];
            Dropout.Forward(dropped, mask, _x, 0.3f, Position.Seed, stream: 0, Position.RandomOffset, training: true);
            var y = new float[Rows * Out];
            Linear.Forward(y, dropped, Parameters.AsSpan(0, Out * In), Parameters.AsSpan(16, Out), Rows, In, Out);
            float loss = MeanSquaredError.Forward(y, _target, y.Length);
            var dy = new float[y.Length];
            MeanSquaredError.Backward(dy, 1f, y, _target, y.Length);
            var gradients = new float[Parameters.Length];
            Linear.Backward(default, gradients.AsSpan(0, Out * In), gradients.AsSpan(16, Out), dy, dropped, Parameters.AsSpan(0, Out * In), Rows, In, Out);
            Optimizer.Step(Parameters, gradients, State, Position.Step + 1);
            Position = Position with { Step = Position.Step + 1, RandomOffset = Position.RandomOffset + (ulong)_x.Length };
            return loss;
        }
    }

    [Fact]
    public void Resume_ReproducesTheUninterruptedRunBitForBit()
    {
        const int N = 12, K = 5;
        var straight = new Run();
        var straightLosses = new float[N];
        for (int i = 0; i < N; i++)
        {
            straightLosses[i] = straight.Step();
        }

        var first = new Run();
        var losses = new float[N];
        for (int i = 0; i < K; i++)
        {
            losses[i] = first.Step();
        }

        string path = Path.Combine(_folder, "run.ckpt.safetensors");
        Checkpoint.Save(path, Layout, first.Parameters, nameof(AdamW), first.State, first.Position);

        var resumed = new Run();
        Array.Fill(resumed.Parameters, float.NaN);
        resumed.Position = Checkpoint.Load(path, Layout, resumed.Parameters, nameof(AdamW), resumed.State);
        Assert.Equal(first.Position, resumed.Position);
        for (int i = K; i < N; i++)
        {
            losses[i] = resumed.Step();
        }

        Assert.Equal(straightLosses, losses);
        Assert.Equal(straight.Parameters[..15], resumed.Parameters[..15]);
        Assert.Equal(straight.Parameters[16..], resumed.Parameters[16..]);
        Assert.Equal(straight.State, resumed.State);
    }

    [Fact]
    public void Load_IntoADifferentOptimizer_IsRefusedAndChangesNothing()
    {
        var run = new Run();
        run.Step();
        string path = Path.Combine(_folder, "adamw.safetensors");
        Checkpoint.Save(path, Layout, run.Parameters, nameof(AdamW), run.State, run.Position);

        var parameters = new float[19];
        var state = new float[2 * 19];
        var error = Assert.Throws<InvalidOperationException>(() => Checkpoint.Load(path, Layout, parameters, nameof(Sgd), state));
        Assert.Contains("holds the state of a AdamW optimizer; this trainer uses Sgd", error.Message, StringComparison.Ordinal);
        Assert.All(parameters, v => Assert.Equal(0f, v));

        var wrongState = new float[19];
        error = Assert.Throws<InvalidOperationException>(() => Checkpoint.Load(path, Layout, parameters, nameof(AdamW), wrongState));
        Assert.Contains("the optimizer state has 38 floats; this trainer needs 19", error.Message, StringComparison.Ordinal);
        Assert.All(parameters, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Load_AnotherModelsCheckpoint_ReportsTheTensorsThatDiffer_NotTheStateLength()
    {
        // Another model: four outputs instead of three, so its AdamW state is longer too.
        ParameterInfo[] other = [new("linear.weight", 0, [4, In]), new("linear.bias", 20, [4]), new("extra.bias", 24, [2])];
        var optimizer = new AdamW(0.05f);
        var otherState = new float[optimizer.StateLength(26)];
        string path = Path.Combine(_folder, "other-model.safetensors");
        Checkpoint.Save(path, other, new float[26], nameof(AdamW), otherState, new TrainingPosition(3, 7, 0));

        var parameters = new float[19];
        var state = new float[optimizer.StateLength(19)];
        Array.Fill(parameters, 42f);
        var error = Assert.Throws<InvalidOperationException>(() => Checkpoint.Load(path, Layout, parameters, nameof(AdamW), state));
        Assert.Equal(
            $"{path} does not match the model:\n  shape: linear.weight is [4, 5] in the file, [3, 5] in the model"
            + "\n  shape: linear.bias is [4] in the file, [3] in the model\n  unexpected: extra.bias [2]",
            error.Message);
        Assert.All(parameters, v => Assert.Equal(42f, v));
        Assert.All(state, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Load_APlainWeightsFile_SaysItIsNotACheckpoint()
    {
        string path = Path.Combine(_folder, "weights.safetensors");
        ParameterFile.Save(path, Layout, new float[19]);
        var error = Assert.Throws<InvalidOperationException>(() => Checkpoint.Load(path, Layout, new float[19], nameof(AdamW), new float[38]));
        Assert.Contains("is not a ModelDsl checkpoint", error.Message, StringComparison.Ordinal);
    }
}
