using System;
using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Randomness;

namespace ModelDsl.Data;

/// <summary>Train/validation splits of in-memory examples.</summary>
public static class DataSplit
{
    /// <summary>
    /// Shuffles a copy of <paramref name="examples"/> with <paramref name="seed"/> and cuts it: the last
    /// <c>round(Count × validationFraction)</c> examples (at least one, and at least one left for training) are the validation set.
    /// </summary>
    /// <param name="examples">The examples.</param>
    /// <param name="validationFraction">The share held out, in (0, 1).</param>
    /// <param name="seed">The shuffle's seed.</param>
    /// <returns>The training and the validation examples.</returns>
    public static (T[] Train, T[] Validation) Split<T>(IReadOnlyList<T> examples, double validationFraction, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be between 0 and 1 (exclusive).");
        }

        if (examples.Count < 2)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{examples.Count} example(s) cannot be split: at least 2 are needed."), nameof(examples));
        }

        var all = new T[examples.Count];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = examples[i];
        }

        for (int i = all.Length - 1; i > 0; i--)
        {
            int j = (int)(CounterRandom.Bits(seed, 0x53504C4954UL /* "SPLIT" */, (ulong)i) % (ulong)(i + 1));
            (all[i], all[j]) = (all[j], all[i]);
        }

        int validation = Math.Clamp((int)Math.Round(all.Length * validationFraction, MidpointRounding.AwayFromZero), 1, all.Length - 1);
        return (all[..^validation], all[^validation..]);
    }
}
