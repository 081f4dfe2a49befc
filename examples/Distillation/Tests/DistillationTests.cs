using System;
using System.Linq;
using ModelDsl.Examples.Vision;
using ModelDsl.Training;

namespace ModelDsl.Examples.Distillation.Tests;

/// <summary>A short run of the example: a briefly trained teacher, its soft targets, and one pair of students at equal steps.</summary>
public sealed class DistillationTests
{
    private static readonly Lazy<(Scan[] Train, Scan[] Test)> Split = new(() => Digits.Split(Digits.Load(Digits.DefaultPath)));

    [Fact]
    public void Both_students_start_from_the_same_weights()
    {
        // The comparison is fair only if the seed gives both students the same initial parameters (same layers, same names).
        var distilled = new DistilledStudent(seed: 3);
        var plain = new PlainStudent(seed: 3);
        Assert.Equal(plain.Parameters.Span.ToArray(), distilled.Parameters.Span.ToArray());
        Assert.Equal(["hidden1.weight", "hidden1.bias", "logits.weight", "logits.bias"], DistilledStudent.ParameterTable.Select(p => p.Name));
    }

    [Fact]
    public void A_short_run_trains_a_teacher_and_two_students_on_its_soft_targets()
    {
        (Scan[] train, Scan[] test) = Split.Value;
        (Teacher.Trainer teacher, double teacherAccuracy) = Distiller.TrainTeacher(train, test, epochs: 3, seed: 1, threads: 1, []);
        SoftExample[] softTrain, softTest;
        using (teacher)
        {
            softTrain = Distiller.Soften(teacher, train);
            softTest = Distiller.Soften(teacher, test);
        }

        // Three epochs of the 64-256-128-10 network already classify most held-out scans (chance is 10%).
        Assert.True(teacherAccuracy > 0.9, $"teacher accuracy {teacherAccuracy}");

        // The soft targets are the teacher's logits: their argmax is the right digit for most training scans.
        Assert.Equal(train.Length, softTrain.Length);
        Assert.All(softTrain, example => Assert.Equal(10, example.TeacherLogits.Length));
        double agree = softTrain.Count(e => Array.IndexOf(e.TeacherLogits, e.TeacherLogits.Max()) == e.Digit) / (double)softTrain.Length;
        Assert.True(agree > 0.9, $"teacher argmax agrees with the label on {agree:P1}");

        StudentPair pair = Distiller.TrainStudents(softTrain, softTest, steps: 60, seed: 1, threads: 1, []);
        History history = pair.DistilledHistory;
        Assert.Equal(["Hard", "Soft"], history.LossNames);
        Assert.Equal(60, history.StepCount);

        // Both students learn in 60 steps (well above chance), and the distilled one's soft loss falls.
        Assert.True(pair.Distilled > 0.5 && pair.Plain > 0.5, $"distilled {pair.Distilled}, plain {pair.Plain}");
        double[] soft = history.TrainingLoss("Soft").Values;
        Assert.True(soft[^5..].Average() < soft[..5].Average() / 2, $"soft loss {soft[..5].Average()} -> {soft[^5..].Average()}");
    }
}
