using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace ModelDsl.Tests.Support;

/// <summary>
/// Central-difference gradient checks. A kernel's backward is checked against
/// <c>(L(x + h) - L(x - h)) / 2h</c> where <c>L = sum(dOut * forward(x))</c> for a fixed random
/// <c>dOut</c>, so one check covers the whole vector-Jacobian product.
/// </summary>
public static class GradientCheck
{
    /// <summary>
    /// Checks <paramref name="analytic"/> (the backward's gradient of <paramref name="loss"/> with respect to
    /// <paramref name="x"/>) against central differences, perturbing each entry of <paramref name="x"/> in
    /// place and restoring it. In float64 with h = 1e-6 the truncation error is O(h²) ≈ 1e-12 and the
    /// rounding error about 1e-16/h ≈ 1e-10, so the default tolerance 1e-6 leaves wide margin while still
    /// catching any real error (a wrong term is O(1)).
    /// </summary>
    public static void Check(string name, double[] x, ReadOnlySpan<double> analytic, Func<double> loss,
        double h = 1e-6, double tolerance = 1e-6, int maxEntries = int.MaxValue,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        double worstFraction = 0;
        Assert.Equal(x.Length, analytic.Length);
        var failures = new List<string>();
        int stride = Math.Max(1, x.Length / Math.Max(1, Math.Min(maxEntries, x.Length)));
        for (int i = 0; i < x.Length; i += stride)
        {
            double saved = x[i];
            x[i] = saved + h;
            double plus = loss();
            x[i] = saved - h;
            double minus = loss();
            x[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            double error = Math.Abs(numeric - analytic[i]);
            double scale = Math.Max(1, Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])));
            worstFraction = Math.Max(worstFraction, double.IsNaN(error) ? double.PositiveInfinity : error / (tolerance * scale));
            if (!(error <= tolerance * scale))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"  {name}[{i}]: analytic {analytic[i]:G10}, numeric {numeric:G10}, error {error:G3}"));
            }
        }

        ToleranceLog.Record(file, line, name, worstFraction);
        if (failures.Count > 0)
        {
            var message = new StringBuilder()
                .Append(CultureInfo.InvariantCulture, $"Gradient check of {name} failed at {failures.Count} entries (tolerance {tolerance}):")
                .AppendLine();
            foreach (var failure in failures.GetRange(0, Math.Min(10, failures.Count)))
            {
                message.AppendLine(failure);
            }

            Assert.Fail(message.ToString());
        }
    }

    /// <summary>
    /// Float32 variant for tuned kernels that exist only in float. h = 1e-2 balances truncation
    /// (O(h²)·|f'''| ≈ 1e-4 for the smooth functions tested) against rounding (≈ 6e-8·|L|/h ≈ 1e-5·|L|),
    /// so the caller's tolerance is typically 1e-2 relative: loose, but a wrong gradient term is O(1).
    /// </summary>
    public static void CheckSingle(string name, float[] x, ReadOnlySpan<float> analytic, Func<double> loss,
        float h = 1e-2f, double tolerance = 1e-2, int maxEntries = int.MaxValue,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        double worstFraction = 0;
        var failures = new List<string>();
        Assert.Equal(x.Length, analytic.Length);
        int stride = Math.Max(1, x.Length / Math.Max(1, Math.Min(maxEntries, x.Length)));
        for (int i = 0; i < x.Length; i += stride)
        {
            float saved = x[i];
            x[i] = saved + h;
            double plus = loss();
            x[i] = saved - h;
            double minus = loss();
            x[i] = saved;
            double numeric = (plus - minus) / (2.0 * h);
            double error = Math.Abs(numeric - analytic[i]);
            double scale = Math.Max(1, Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])));
            worstFraction = Math.Max(worstFraction, double.IsNaN(error) ? double.PositiveInfinity : error / (tolerance * scale));
            if (!(error <= tolerance * scale))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture,
                    $"  {name}[{i}]: analytic {analytic[i]:G8}, numeric {numeric:G8}, error {error:G3}"));
            }
        }

        ToleranceLog.Record(file, line, name, worstFraction);
        Assert.True(failures.Count == 0,
            $"Float32 gradient check of {name} failed at {failures.Count} entries:\n{string.Join('\n', failures.GetRange(0, Math.Min(10, failures.Count)))}");
    }

    /// <summary><c>sum(a[i] * b[i])</c> in double.</summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary><c>sum(a[i] * b[i])</c> accumulated in double.</summary>
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }
}
