using System;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelDsl.Training;

namespace ModelDsl.Reports.Tests;

public sealed class LearningRateFinderPlotTests : IDisposable
{
    private readonly string _folder = Pictures.NewFolder("lr-finder");

    public void Dispose() => Pictures.Delete(_folder);

    private static LearningRateCurve Curve()
    {
        float[] rates = [.. Enumerable.Range(0, 30).Select(i => (float)(1e-5 * Math.Pow(10, i / 5.0)))];
        float[] losses = [.. rates.Select((r, i) => i < 25 ? 2f - (0.06f * i) : 2f + (3f * (i - 24)))];
        double[] smoothed = [.. losses.Select((l, i) => l + (0.01 * i))];
        return new LearningRateCurve(rates, losses, smoothed, Diverged: true, SuggestedLearningRate: rates[12], MinimumLossLearningRate: rates[24]);
    }

    [Fact]
    public void Writes_a_png_and_a_csv_of_the_curve()
    {
        LearningRateCurve curve = Curve();
        var paths = LearningRateFinderPlot.Write(curve, Path.Combine(_folder, "nested"), "sweep", width: 640, height: 400);
        Assert.Equal([Path.Combine(_folder, "nested", "sweep.png"), Path.Combine(_folder, "nested", "sweep.csv")], paths);
        Assert.Equal((640, 400), Pictures.AssertPng(paths[0]));

        string[] lines = File.ReadAllLines(paths[1]);
        Assert.Equal("learning_rate,loss,smoothed_loss", lines[0]);
        Assert.Equal(curve.LearningRates.Count, lines.Length - 1);
        for (int i = 0; i < curve.LearningRates.Count; i++)
        {
            string[] cells = lines[i + 1].Split(',');
            Assert.Equal(curve.LearningRates[i], float.Parse(cells[0], CultureInfo.InvariantCulture)); // exact: R round-trips
            Assert.Equal(curve.Losses[i], float.Parse(cells[1], CultureInfo.InvariantCulture));
            Assert.Equal(curve.SmoothedLosses[i], double.Parse(cells[2], CultureInfo.InvariantCulture));
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(_folder, "nested"), ".*")); // no temporary file left
    }

    [Fact]
    public void A_name_that_cannot_be_a_file_name_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => LearningRateFinderPlot.Write(Curve(), _folder, "a/b"));
        Assert.Contains("'a/b'", error.Message, StringComparison.Ordinal);
    }
}
