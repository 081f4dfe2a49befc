using System;
using System.Collections.Generic;
using System.Linq;
using ModelDsl.Data;
using ModelDsl.Examples.Vision;
using ModelDsl.Metrics;
using ModelDsl.Optim;
using ModelDsl.Training;

namespace ModelDsl.Examples.Distillation;

/// <summary>A scan with its teacher's logits (the soft targets).</summary>
/// <param name="Pixels">The 64 pixels in [0, 1].</param>
/// <param name="Digit">The hard label.</param>
/// <param name="TeacherLogits">The trained teacher's 10 logits for the scan.</param>
public sealed record SoftExample(float[] Pixels, int Digit, float[] TeacherLogits);

/// <summary>One pair of students (same seed, same batches, equal steps): their test accuracies.</summary>
/// <param name="Seed">The students' seed (initial weights and batch order).</param>
/// <param name="Distilled">The distilled student's test accuracy.</param>
/// <param name="Plain">The hard-label student's test accuracy.</param>
/// <param name="DistilledHistory">The distilled student's Fit history (per-loss values: Hard, Soft).</param>
public sealed record StudentPair(ulong Seed, double Distilled, double Plain, History DistilledHistory);

/// <summary>
/// Knowledge distillation on the UCI digits: train the teacher on the hard labels, record its logits for every scan, then train
/// the two students from the same seed, on the same shuffled batches, for the same number of steps: one against
/// <c>Alpha · CE + (1 - Alpha) · T² KL</c> (two losses on one head), the other against the hard labels alone.
/// </summary>
public static class Distiller
{
    /// <summary>Rows per batch (every model's MaxBatch).</summary>
    public const int BatchSize = 64;

    /// <summary>Trains the teacher on the hard labels; returns its trainer (dispose it) and its test accuracy.</summary>
    /// <param name="train">Training scans.</param>
    /// <param name="test">Held-out scans.</param>
    /// <param name="epochs">Epochs of the teacher.</param>
    /// <param name="seed">Seed of its initial weights and batch order.</param>
    /// <param name="threads">Kernel threads.</param>
    /// <param name="callbacks">Fit callbacks (progress lines).</param>
    public static (Teacher.Trainer Trainer, double Accuracy) TrainTeacher(Scan[] train, Scan[] test, int epochs, ulong seed, int threads,
        IReadOnlyList<IFitCallback> callbacks)
    {
        var teacher = new Teacher(seed);
        Teacher.Trainer trainer = teacher.CreateTrainer(new AdamW(2e-3f, weightDecay: 1e-4f), threads);
        RowWriter<Teacher.Batch, LabeledFeatures> rows = RowWriters.FeatureClassification<Teacher.Batch>();
        History history = trainer.Fit(
            new BatchLoader<Teacher.Batch, LabeledFeatures>([.. train.Select(Digits.ToExample)], rows, new LoaderOptions { BatchSize = BatchSize, Seed = seed }),
            new BatchLoader<Teacher.Batch, LabeledFeatures>([.. test.Select(Digits.ToExample)], rows, new LoaderOptions { BatchSize = BatchSize, Shuffle = false }),
            new FitOptions { Epochs = epochs, EvaluateEvery = epochs * ((train.Length + BatchSize - 1) / BatchSize), Metrics = [new Accuracy()], Callbacks = callbacks });
        return (trainer, history.Evaluations[^1].Metrics["accuracy"]);
    }

    /// <summary>Trains the two students from <paramref name="seed"/> for <paramref name="steps"/> steps each on the same batches.</summary>
    /// <param name="softTrain">Training scans with the teacher's logits.</param>
    /// <param name="softTest">Held-out scans with the teacher's logits (the distilled student's validation loss reads them).</param>
    /// <param name="steps">Optimizer steps of each student.</param>
    /// <param name="seed">Seed of both students' initial weights and of their (shared) batch order.</param>
    /// <param name="threads">Kernel threads.</param>
    /// <param name="callbacks">Fit callbacks (progress lines).</param>
    public static StudentPair TrainStudents(SoftExample[] softTrain, SoftExample[] softTest, long steps, ulong seed, int threads,
        IReadOnlyList<IFitCallback> callbacks)
    {
        var options = new FitOptions { Steps = steps, EvaluateEvery = steps, Metrics = [new Accuracy()], Callbacks = callbacks };
        var distilled = new DistilledStudent(seed);
        using DistilledStudent.Trainer distilledTrainer = distilled.CreateTrainer(new Adam(1e-2f), threads);
        RowWriter<DistilledStudent.Batch, SoftExample> softRows = (batch, row, example) =>
        {
            batch.SetX(row, example.Pixels);
            batch.SetHardLabel(row, example.Digit);
            batch.SetSoftTarget(row, example.TeacherLogits);
        };
        History distilledHistory = distilledTrainer.Fit(
            new BatchLoader<DistilledStudent.Batch, SoftExample>(softTrain, softRows, new LoaderOptions { BatchSize = BatchSize, Seed = seed }),
            new BatchLoader<DistilledStudent.Batch, SoftExample>(softTest, softRows, new LoaderOptions { BatchSize = BatchSize, Shuffle = false }),
            options);

        var plain = new PlainStudent(seed);
        using PlainStudent.Trainer plainTrainer = plain.CreateTrainer(new Adam(1e-2f), threads);
        RowWriter<PlainStudent.Batch, SoftExample> hardRows = (batch, row, example) =>
        {
            batch.SetX(row, example.Pixels);
            batch.SetLabel(row, example.Digit);
        };
        History plainHistory = plainTrainer.Fit(
            new BatchLoader<PlainStudent.Batch, SoftExample>(softTrain, hardRows, new LoaderOptions { BatchSize = BatchSize, Seed = seed }),
            new BatchLoader<PlainStudent.Batch, SoftExample>(softTest, hardRows, new LoaderOptions { BatchSize = BatchSize, Shuffle = false }),
            options);
        return new StudentPair(seed, distilledHistory.Evaluations[^1].Metrics["accuracy"], plainHistory.Evaluations[^1].Metrics["accuracy"], distilledHistory);
    }

    /// <summary>Each scan with the trained teacher's logits (a forward pass per batch, no dropout, no update).</summary>
    public static SoftExample[] Soften(Teacher.Trainer teacher, Scan[] scans)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(scans);
        var examples = new SoftExample[scans.Length];
        var batch = new Teacher.Batch();
        for (int start = 0; start < scans.Length; start += BatchSize)
        {
            int count = Math.Min(BatchSize, scans.Length - start);
            batch.Clear();
            for (int row = 0; row < count; row++)
            {
                batch.SetX(row, scans[start + row].Pixels);
                batch.SetLabel(row, scans[start + row].Digit);
            }

            batch.Count = count;
            teacher.Evaluate(batch);
            for (int row = 0; row < count; row++)
            {
                Scan scan = scans[start + row];
                examples[start + row] = new SoftExample(scan.Pixels, scan.Digit, teacher.LogitsOf(row).ToArray());
            }
        }

        return examples;
    }
}
