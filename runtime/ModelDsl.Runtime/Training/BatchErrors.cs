using System;
using System.ComponentModel;
using System.Globalization;

namespace ModelDsl.Training;

/// <summary>
/// The exceptions generated <c>Batch</c> types throw, built here so the generated code stays short and every model
/// words the same mistake the same way. Not meant to be called by user code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BatchErrors
{
    /// <summary>A NaN or infinite value given to a feature or target setter.</summary>
    /// <param name="buffer">The batch buffer, e.g. <c>Regressor.Batch.X</c>.</param>
    /// <param name="row">The row being set.</param>
    /// <param name="position">The position in the row, or -1 for a dense (non-sequence) buffer.</param>
    /// <param name="feature">The feature within the position.</param>
    /// <param name="value">The value refused.</param>
    public static ArgumentException NotFinite(string buffer, int row, int position, int feature, float value)
    {
        string where = position >= 0
            ? string.Create(CultureInfo.InvariantCulture, $"row {row}, position {position}, feature {feature}")
            : string.Create(CultureInfo.InvariantCulture, $"row {row}, feature {feature}");
        return new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"{buffer}: value {value} at {where} is not finite; inputs and targets must be finite numbers."), "values");
    }

    /// <summary>A NaN or infinite pixel given to an image setter.</summary>
    /// <param name="buffer">The batch buffer, e.g. <c>DigitCnn.Batch.Pixels</c>.</param>
    /// <param name="row">The row (image) being set.</param>
    /// <param name="index">The value's index in the row, <c>(channel · Height + y) · Width + x</c>.</param>
    /// <param name="height">The image's height.</param>
    /// <param name="width">The image's width.</param>
    /// <param name="value">The value refused.</param>
    public static ArgumentException NotFinitePixel(string buffer, int row, int index, int height, int width, float value)
    {
        int channel = index / (height * width), y = index / width % height, x = index % width;
        return new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"{buffer}: value {value} at row {row}, index {index} (channel {channel}, y {y}, x {x}) is not finite; inputs must be finite numbers."), "values");
    }

    /// <summary>A row whose per-position target is not as long as the input row it labels.</summary>
    /// <param name="model">The model's name.</param>
    /// <param name="row">The row.</param>
    /// <param name="input">The input the target follows, e.g. <c>Target</c>.</param>
    /// <param name="inputLength">That input's length in the row.</param>
    /// <param name="targetLength">The target's length in the row.</param>
    /// <param name="labels">True for cross-entropy labels (SetLabels), false for regression targets (SetTarget).</param>
    public static InvalidOperationException LengthMismatch(string model, int row, string input, int inputLength, int targetLength, bool labels) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"{model}.Batch: row {row} has {input} of length {inputLength} (Set{input}) but {targetLength} {(labels ? "labels (SetLabels)" : "target positions (SetTarget)")}; they must be equal."));
}
