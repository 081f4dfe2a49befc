using System;
using System.Collections.Generic;
using ModelDsl.Data;
using ModelDsl.Memory;
using ModelDsl.Optim;
using ModelDsl.Training;

namespace ModelDsl.Tests.Training;

/// <summary>A trainer without a model: the test writes the gradients, <see cref="Apply"/> runs the trainer's update.</summary>
internal sealed class GradientTrainer(AlignedBlock parameters, IReadOnlyList<ParameterEntry> table, Optimizer optimizer, int threads = 1, LearningRateSchedule? schedule = null)
    : TrainerBase("Fake", parameters, table, null, [], optimizer, threads, schedule, clipNorm: 0f, dropoutSeed: 0, maskBytesPerStep: 0)
{
    public void Apply() => Update(0f);
}

/// <summary>An empty batch for <see cref="QuadraticTrainer"/>.</summary>
internal sealed class NoBatch : IBatch
{
    public int MaxBatch => 1;

    public int Count { get; set; }

    public void Clear() => Count = 0;
}

/// <summary>One batch per step, nothing in it.</summary>
internal sealed class NoBatches : IBatchSource<NoBatch>
{
    public int ExampleCount => 1;

    public long BatchesPerEpoch => 1;

    public int Fill(NoBatch batch, long index)
    {
        batch.Count = 1;
        return 1;
    }

    public long ExamplesBefore(long index) => index;
}

/// <summary>
/// A trainer whose loss is <c>0.5 · Σ (p - 1)²</c> over one tensor <c>w</c> [8] (gradient <c>p - 1</c>): with SGD at rate r each step
/// multiplies the distance to 1 by <c>1 - r</c>, so the loss falls for r &lt; 2 and grows without bound above.
/// </summary>
internal sealed class QuadraticTrainer : TrainerBase, ITrainer<NoBatch>
{
    private readonly AlignedBlock _parameters;

    private QuadraticTrainer(AlignedBlock parameters, Optimizer optimizer)
        : base("Quadratic", parameters, [new ParameterEntry("w", 0, 8, 8)], null, [], optimizer, 1, null, 0f, 7, 0) => _parameters = parameters;

    public Span<float> Parameters => _parameters.Span;

    public static QuadraticTrainer Create(Optimizer optimizer)
    {
        var parameters = new AlignedBlock(16);
        for (int i = 0; i < 8; i++)
        {
            parameters.Span[i] = -1f + (0.25f * i);
        }

        return new QuadraticTrainer(parameters, optimizer);
    }

    public float Step(NoBatch batch)
    {
        float loss = ComputeGradients(batch);
        Update(loss);
        return loss;
    }

    public float ComputeGradients(NoBatch batch)
    {
        double loss = 0;
        for (int i = 0; i < 8; i++)
        {
            float d = _parameters.Span[i] - 1f;
            Gradients.Span[i] = d;
            loss += 0.5 * d * d;
        }

        return (float)loss;
    }

    public float Evaluate(NoBatch batch) => ComputeGradients(batch);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _parameters.Dispose();
        }
    }
}
