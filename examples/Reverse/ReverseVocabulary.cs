using System;
using ModelDsl.Kernels;

namespace ModelDsl.Examples.Reverse;

/// <summary>
/// Token ids of the reversal task, shared by source and target: <see cref="Pad"/> = 0, <see cref="Bos"/> = 1,
/// <see cref="Eos"/> = 2, then the digits and the lowercase letters (<see cref="Characters"/>).
/// </summary>
/// <remarks>
/// Teacher forcing: for a target <c>y</c> of length <c>n</c> the decoder reads <c>[BOS, y1 .. yn]</c> and is trained
/// to predict <c>[y1 .. yn, EOS]</c>; positions after those hold <see cref="Pad"/> and <see cref="IgnoreIndex"/>.
/// </remarks>
public static class ReverseVocabulary
{
    /// <summary>Padding id.</summary>
    public const int Pad = 0;

    /// <summary>Begin-of-sequence id: the decoder's first input.</summary>
    public const int Bos = 1;

    /// <summary>End-of-sequence id: the last label of every target.</summary>
    public const int Eos = 2;

    /// <summary>Id of the first character.</summary>
    public const int FirstCharacter = 3;

    /// <summary>Label of positions that take no part in the loss (the runtime's and <c>[CrossEntropyLoss]</c>'s default).</summary>
    public const int IgnoreIndex = CrossEntropy.DefaultIgnoreIndex;

    /// <summary>The characters, in id order starting at <see cref="FirstCharacter"/>.</summary>
    public const string Characters = "0123456789abcdefghijklmnopqrstuvwxyz";

    /// <summary>Number of ids: the three special tokens plus the characters.</summary>
    public const int Size = FirstCharacter + 36;

    /// <summary>Writes the id of each character of <paramref name="text"/> into <paramref name="ids"/>; returns the count.</summary>
    /// <exception cref="ArgumentException">A character is not a digit or lowercase letter (the message names it), or
    /// <paramref name="ids"/> is too short.</exception>
    public static int Encode(ReadOnlySpan<char> text, Span<int> ids)
    {
        if (ids.Length < text.Length)
        {
            throw new ArgumentException($"ids holds {ids.Length} elements; the text \"{text}\" needs {text.Length}.", nameof(ids));
        }

        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            ids[i] = c switch
            {
                >= '0' and <= '9' => FirstCharacter + (c - '0'),
                >= 'a' and <= 'z' => FirstCharacter + 10 + (c - 'a'),
                _ => throw new ArgumentException(
                    $"The character '{c}' (U+{(int)c:X4}) at position {i} of \"{text}\" is not in the vocabulary \"{Characters}\".", nameof(text)),
            };
        }

        return text.Length;
    }

    /// <summary>The text of <paramref name="ids"/> up to the first <see cref="Eos"/>; <see cref="Pad"/> and <see cref="Bos"/> are skipped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, Size)</c>.</exception>
    public static string Decode(ReadOnlySpan<int> ids)
    {
        Span<char> text = ids.Length <= 256 ? stackalloc char[ids.Length] : new char[ids.Length];
        int written = 0;
        for (int i = 0; i < ids.Length && ids[i] != Eos; i++)
        {
            int id = ids[i];
            if ((uint)id >= Size)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"ids[{i}] = {id} is not a token id (vocabulary size {Size}).");
            }

            if (id >= FirstCharacter)
            {
                text[written++] = Characters[id - FirstCharacter];
            }
        }

        return new string(text[..written]);
    }

    /// <summary>Writes <c>[BOS, target, PAD ...]</c> into <paramref name="row"/>; returns the real positions, <c>n + 1</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="row"/> is shorter than <c>n + 1</c>.</exception>
    public static int WriteDecoderInput(ReadOnlySpan<int> target, Span<int> row)
    {
        CheckTargetRow(target, row);
        row[0] = Bos;
        target.CopyTo(row[1..]);
        row[(target.Length + 1)..].Fill(Pad);
        return target.Length + 1;
    }

    /// <summary>Writes <c>[target, EOS, IgnoreIndex ...]</c> into <paramref name="row"/>; returns the real positions, <c>n + 1</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="row"/> is shorter than <c>n + 1</c>.</exception>
    public static int WriteLabels(ReadOnlySpan<int> target, Span<int> row)
    {
        CheckTargetRow(target, row);
        target.CopyTo(row);
        row[target.Length] = Eos;
        row[(target.Length + 1)..].Fill(IgnoreIndex);
        return target.Length + 1;
    }

    private static void CheckTargetRow(ReadOnlySpan<int> target, Span<int> row)
    {
        if (row.Length < target.Length + 1)
        {
            throw new ArgumentException(
                $"row holds {row.Length} positions; a target of {target.Length} tokens needs {target.Length + 1} (BOS or EOS added).",
                nameof(row));
        }
    }
}
