using System;
using System.Collections.Generic;

namespace ModelDsl.Reports;

/// <summary>
/// One named series of a training run: a value at each of some steps (the training loss at every step, a validation
/// metric at every evaluation). Steps strictly increase; a value may be NaN (a missing point, drawn as a gap in no line
/// and written as <c>NaN</c> in the CSV).
/// </summary>
public sealed class Curve
{
    /// <summary>A series named <paramref name="name"/> with <c>values[i]</c> at <c>steps[i]</c>.</summary>
    /// <param name="name">The series' name: the CSV column and the legend entry, e.g. <c>loss</c> or <c>val_accuracy</c>.</param>
    /// <param name="steps">The optimizer steps of the points, strictly increasing.</param>
    /// <param name="values">One value per step.</param>
    /// <exception cref="ArgumentException">The name is empty or holds a comma, quote or line break; the lengths differ; a step is not after the one before it.</exception>
    public Curve(string name, IReadOnlyList<long> steps, IReadOnlyList<double> values)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(values);
        if (name.AsSpan().IndexOfAny(",\"\r\n") >= 0)
        {
            throw new ArgumentException($"Curve name '{name}' holds a comma, quote or line break; it is a CSV column name.", nameof(name));
        }

        if (steps.Count != values.Count)
        {
            throw new ArgumentException($"Curve '{name}': {steps.Count} steps but {values.Count} values.", nameof(values));
        }

        for (int i = 1; i < steps.Count; i++)
        {
            if (steps[i] <= steps[i - 1])
            {
                throw new ArgumentException($"Curve '{name}': steps[{i}] ({steps[i]}) is not after steps[{i - 1}] ({steps[i - 1]}); steps must strictly increase.", nameof(steps));
            }
        }

        Name = name;
        Steps = steps;
        Values = values;
    }

    /// <summary>The series' name (CSV column, legend entry).</summary>
    public string Name { get; }

    /// <summary>The steps of the points, strictly increasing.</summary>
    public IReadOnlyList<long> Steps { get; }

    /// <summary>The values, one per step.</summary>
    public IReadOnlyList<double> Values { get; }

    /// <summary>The line's width in pixels when drawn (2 by default; 1 suits a noisy per-step series under its average).</summary>
    public float LineWidth
    {
        get;
        init => field = value > 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(LineWidth), value, "A line width is positive.");
    } = 2;

    /// <summary>Points in the series.</summary>
    public int Count => Steps.Count;

    /// <summary>
    /// This series smoothed by an exponential moving average, <c>s = s + weight (x - s)</c> from the first finite value
    /// (NaN values keep the average), named <paramref name="name"/>: the usual way to read a noisy per-step loss.
    /// </summary>
    /// <param name="name">The smoothed series' name.</param>
    /// <param name="weight">The newest value's weight, in (0, 1]; 0.05 averages over about the last 20 points.</param>
    public Curve Smoothed(string name, double weight = 0.05)
    {
        if (!(weight > 0 && weight <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "The smoothing weight must be in (0, 1].");
        }

        var smoothed = new double[Count];
        double average = double.NaN;
        for (int i = 0; i < smoothed.Length; i++)
        {
            double x = Values[i];
            if (double.IsFinite(x))
            {
                average = double.IsNaN(average) ? x : average + (weight * (x - average));
            }

            smoothed[i] = average;
        }

        return new Curve(name, Steps, smoothed);
    }
}
