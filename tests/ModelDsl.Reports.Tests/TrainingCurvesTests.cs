using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelDsl.Training;

namespace ModelDsl.Reports.Tests;

public sealed class TrainingCurvesTests : IDisposable
{
    private readonly string _folder = Pictures.NewFolder("curves");

    public void Dispose() => Pictures.Delete(_folder);

    [Fact]
    public void Csv_has_a_step_column_and_one_column_per_series_with_gaps_left_empty()
    {
        var loss = new Curve("loss", [1, 2, 3, 4], [2.5, 1.25, 0.1, double.NaN]);
        var accuracy = new Curve("val_accuracy", [2, 4, 6], [0.5, 0.75, 1]);
        Assert.Equal(
            "step,loss,val_accuracy\n1,2.5,\n2,1.25,0.5\n3,0.1,\n4,NaN,0.75\n6,,1\n",
            TrainingCurves.ToCsv([loss, accuracy]));
    }

    [Fact]
    public void Csv_file_reads_back_as_the_input_series()
    {
        var random = new Random(5);
        long[] steps = [.. Enumerable.Range(1, 200).Select(i => (long)i * 3)];
        double[] values = [.. steps.Select(_ => random.NextDouble() * 10)];
        long[] evaluationSteps = [.. steps.Where(step => step % 60 == 0)];
        double[] evaluationValues = [.. evaluationSteps.Select(_ => random.NextDouble())];
        string path = Path.Combine(_folder, "nested", "curves.csv");
        TrainingCurves.WriteCsv(path, [new Curve("train_loss", steps, values), new Curve("val_accuracy", evaluationSteps, evaluationValues)]);

        string[] lines = File.ReadAllLines(path);
        Assert.Equal("step,train_loss,val_accuracy", lines[0]);
        Assert.Equal(steps.Length, lines.Length - 1); // every evaluation step is also a training step
        var readSteps = new List<long>();
        var readValues = new List<double>();
        var readEvaluations = new List<(long, double)>();
        foreach (string line in lines.Skip(1))
        {
            string[] cells = line.Split(',');
            Assert.Equal(3, cells.Length);
            long step = long.Parse(cells[0], CultureInfo.InvariantCulture);
            readSteps.Add(step);
            readValues.Add(double.Parse(cells[1], CultureInfo.InvariantCulture));
            if (cells[2].Length > 0)
            {
                readEvaluations.Add((step, double.Parse(cells[2], CultureInfo.InvariantCulture)));
            }
        }

        Assert.Equal(steps, readSteps);
        Assert.Equal(values, readValues); // exact: the R format round-trips
        Assert.Equal(evaluationSteps.Zip(evaluationValues), readEvaluations);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, ".*")); // no temporary file left
    }

    [Fact]
    public void Png_is_written_decodable_at_the_asked_size()
    {
        string path = Path.Combine(_folder, "a", "b", "loss.png");
        var loss = new Curve("loss", [.. Enumerable.Range(1, 500).Select(i => (long)i)], [.. Enumerable.Range(1, 500).Select(i => 3.0 / i)]);
        TrainingCurves.WritePng(path, [loss, loss.Smoothed("loss (avg)")], title: "loss", yLabel: "loss", width: 640, height: 400);
        Assert.Equal((640, 400), Pictures.AssertPng(path));

        // A log scale, a single point and an empty series draw too.
        string log = Path.Combine(_folder, "log.png");
        TrainingCurves.WritePng(log, [loss, new Curve("one", [3], [0.5]), new Curve("none", [], [])], logY: true);
        Assert.Equal((800, 480), Pictures.AssertPng(log));
    }

    [Fact]
    public void History_gives_a_loss_picture_one_picture_per_other_metric_and_its_csv()
    {
        var history = new History(["loss", "accuracy"], capacity: 100);
        for (int step = 1; step <= 100; step++)
        {
            history.AddStep(step, 2f / step);
            if (step % 25 == 0)
            {
                history.AddEvaluation(new FitEvaluation(step, (step - 1) / 50, new Dictionary<string, double> { ["loss"] = 1.0 / step, ["accuracy"] = step / 100.0 }, IsBest: true));
            }
        }

        IReadOnlyList<string> written = TrainingCurves.Write(history, _folder, "run");
        Assert.Equal([Path.Combine(_folder, "run-loss.png"), Path.Combine(_folder, "run-accuracy.png"), Path.Combine(_folder, "run.csv")], written);
        Pictures.AssertPng(written[0]);
        Pictures.AssertPng(written[1]);
        string[] csv = File.ReadAllLines(written[2]);
        Assert.Equal("step,epoch,train_loss,val_loss,val_accuracy", csv[0]);
        Assert.Equal(101, csv.Length);

        IReadOnlyList<Curve> curves = TrainingCurves.LossCurves(history);
        Assert.Equal(["train_loss", "train_loss (avg)", "val_loss"], curves.Select(curve => curve.Name));
        Assert.Equal([1f, 2f, 2f], curves.Select(curve => curve.LineWidth)); // the noisy per-step loss drawn thin, under its average
        Assert.Equal(Enumerable.Range(1, 100).Select(step => (double)(2f / step)), curves[0].Values);
        Assert.Equal([25L, 50, 75, 100], curves[2].Steps);
        Assert.Equal([1.0 / 25, 1.0 / 50, 1.0 / 75, 1.0 / 100], curves[2].Values);
    }

    [Fact]
    public void CurvesCallback_writes_when_the_fit_ends()
    {
        var history = new History(["loss"]);
        history.AddStep(1, 1f);
        history.AddStep(2, 0.5f);
        IFitCallback callback = new CurvesCallback(_folder);
        callback.OnFitEnd(history);
        Assert.Equal([Path.Combine(_folder, "training-loss.png"), Path.Combine(_folder, "training.csv")], ((CurvesCallback)callback).Written);
        Pictures.AssertPng(Path.Combine(_folder, "training-loss.png"));
    }

    [Fact]
    public void CurvesCallback_can_draw_the_loss_on_a_log_scale()
    {
        var history = new History(["loss"]);
        for (int step = 1; step <= 200; step++)
        {
            history.AddStep(step, MathF.Pow(10, -step / 50f)); // 1 down to 1e-4
        }

        IFitCallback linear = new CurvesCallback(Path.Combine(_folder, "linear"));
        IFitCallback log = new CurvesCallback(Path.Combine(_folder, "log"), logLoss: true);
        linear.OnFitEnd(history);
        log.OnFitEnd(history);

        string linearPng = ((CurvesCallback)linear).Written[0], logPng = ((CurvesCallback)log).Written[0];
        Assert.Equal(Pictures.AssertPng(linearPng), Pictures.AssertPng(logPng));
        Assert.NotEqual(File.ReadAllBytes(linearPng), File.ReadAllBytes(logPng)); // the option reaches the picture
    }

    [Fact]
    public void Smoothing_is_the_documented_moving_average()
    {
        Curve smoothed = new Curve("x", [1, 2, 3, 4], [double.NaN, 1, 3, 2]).Smoothed("s", 0.5);
        // NaN before the first value; then 1; 1 + 0.5 (3 - 1) = 2; 2 + 0.5 (2 - 2) = 2.
        Assert.Equal([double.NaN, 1, 2, 2], smoothed.Values);
    }

    [Fact]
    public void Bad_series_are_rejected_naming_the_series()
    {
        Assert.Contains("steps[2] (2) is not after steps[1] (2)", Assert.Throws<ArgumentException>(() => new Curve("loss", [1, 2, 2], [1, 1, 1])).Message, StringComparison.Ordinal);
        Assert.Contains("'loss': 2 steps but 3 values", Assert.Throws<ArgumentException>(() => new Curve("loss", [1, 2], [1, 1, 1])).Message, StringComparison.Ordinal);
        Assert.Contains("comma", Assert.Throws<ArgumentException>(() => new Curve("a,b", [1], [1])).Message, StringComparison.Ordinal);
        var curve = new Curve("loss", [1], [1]);
        Assert.Contains("'loss' (curves[1]) is used twice", Assert.Throws<ArgumentException>(() => TrainingCurves.ToCsv([curve, curve])).Message, StringComparison.Ordinal);
        string path = Path.Combine(_folder, "none.png");
        Assert.Throws<ArgumentException>(() => TrainingCurves.WritePng(path, []));
        Assert.False(File.Exists(path));
    }
}
