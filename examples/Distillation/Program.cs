using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using ModelDsl.Examples.Distillation;
using ModelDsl.Examples.Vision;
using ModelDsl.Training;

// Knowledge distillation (Hinton et al., 2015) on the UCI optical digits (examples/Vision/data/digits.csv.gz, its fixed 80/20
// split): a teacher (64-256-128-10) trained on the hard labels, then a small student (64-10-10) trained for the same number
// of steps, from the same seed and on the same batches, once against Alpha CE(labels) + (1 - Alpha) T² KL(teacher, T) (two
// losses on one head) and once against the labels alone, for several seeds. Prints every accuracy and the means, whatever they are.
// Usage: dotnet run -c Release --project examples/Distillation [threads = 2] [student steps = 150] [teacher epochs = 10] [seeds = 10]
int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
long steps = args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 150;
int teacherEpochs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
int seeds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10;

Scan[] all = Digits.Load(Digits.DefaultPath);
(Scan[] train, Scan[] test) = Digits.Split(all);
Console.WriteLine($"UCI optical digits: {train.Length} scans for training, {test.Length} held out");
Console.WriteLine(Teacher.Summary());
Console.WriteLine(DistilledStudent.Summary());

var clock = Stopwatch.StartNew();
IFitCallback[] quiet = [];
(Teacher.Trainer teacher, double teacherAccuracy) = Distiller.TrainTeacher(train, test, teacherEpochs, seed: 1, threads, [new ConsoleLinesCallback(Console.Out, everySteps: 100)]);
SoftExample[] softTrain = Distiller.Soften(teacher, train), softTest = Distiller.Soften(teacher, test);
teacher.Dispose();
Console.WriteLine(FormattableString.Invariant($"teacher ({teacherEpochs} epochs) test accuracy: {teacherAccuracy:P2}"));

var pairs = new List<StudentPair>();
for (ulong seed = 1; seed <= (ulong)seeds; seed++)
{
    IReadOnlyList<IFitCallback> callbacks = seed == 1 ? [new ConsoleLinesCallback(Console.Out, everySteps: steps)] : quiet;
    StudentPair pair = Distiller.TrainStudents(softTrain, softTest, steps, seed, threads, callbacks);
    pairs.Add(pair);
    History history = pair.DistilledHistory;
    Console.WriteLine(FormattableString.Invariant(
        $"seed {seed}: distilled {pair.Distilled:P2} (last step Hard {history.TrainingLoss("Hard").Values[^1]:F4}, Soft {history.TrainingLoss("Soft").Values[^1]:F4}), hard labels alone {pair.Plain:P2}"));
}

clock.Stop();
double distilled = pairs.Average(p => p.Distilled), plain = pairs.Average(p => p.Plain);
int wins = pairs.Count(p => p.Distilled > p.Plain), losses = pairs.Count(p => p.Distilled < p.Plain);
Console.WriteLine(FormattableString.Invariant($"student (64-{DistilledStudent.Hidden}-10), {steps} steps each, Alpha {DistilledStudent.Alpha}, T {DistilledStudent.T}, mean over {pairs.Count} seeds:"));
Console.WriteLine(FormattableString.Invariant($"  distilled from the teacher: {distilled:P2}"));
Console.WriteLine(FormattableString.Invariant($"  hard labels alone:          {plain:P2}"));
Console.WriteLine(FormattableString.Invariant(
    $"  difference {100 * (distilled - plain):+0.00;-0.00} points (distilled better for {wins} seeds, worse for {losses}); {clock.Elapsed.TotalSeconds:F1} s on {threads} thread(s)"));
