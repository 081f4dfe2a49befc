using System;
using ModelDsl.Kernels;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// The token ids of the date translator, shared by source and target: <see cref="Pad"/> = 0, <see cref="Bos"/> = 1,
/// <see cref="Eos"/> = 2, then the characters of <see cref="DateGenerator.Alphabet"/> in its (sorted) order. The target
/// alphabet (digits and '-') is part of the source alphabet, so one vocabulary serves both sides.
/// </summary>
/// <remarks>
/// Teacher forcing: for a target <c>y</c> of length <c>n</c> the decoder reads <c>[BOS, y1 .. yn]</c> and is trained
/// to predict <c>[y1 .. yn, EOS]</c>; both rows have <c>n + 1</c> real positions. Positions after them hold
/// <see cref="Pad"/> in the decoder input and <see cref="IgnoreIndex"/> in the labels, so they add nothing to the loss.
/// </remarks>
public static class CharVocabulary
{
    /// <summary>Padding id: fills source and decoder-input positions after a row's length.</summary>
    public const int Pad = 0;

    /// <summary>Begin-of-sequence id: the decoder's first input.</summary>
    public const int Bos = 1;

    /// <summary>End-of-sequence id: the last label of every target; decoding stops when it is produced.</summary>
    public const int Eos = 2;

    /// <summary>Id of the first character (<see cref="Characters"/>[0]).</summary>
    public const int FirstCharacter = 3;

    /// <summary>
    /// Label of positions that take no part in the loss: the runtime's cross-entropy default, which is also the
    /// default of <c>[CrossEntropyLoss]</c> (PyTorch's -100).
    /// </summary>
    public const int IgnoreIndex = CrossEntropy.DefaultIgnoreIndex;

    /// <summary>The characters, in id order starting at <see cref="FirstCharacter"/>.</summary>
    public static string Characters { get; } = DateGenerator.Alphabet;

    /// <summary>Number of ids: the three special tokens plus the characters.</summary>
    public static int Size { get; } = FirstCharacter + Characters.Length;

    // Character -> id, -1 where the character is not in the vocabulary; indexed by the char's code.
    private static readonly int[] Ids = BuildIds();

    /// <summary>
    /// Writes the id of each character of <paramref name="text"/> into <paramref name="ids"/> and returns the number
    /// written (the text's length). No special tokens are added.
    /// </summary>
    /// <exception cref="ArgumentException">A character is not in the vocabulary (the message names it and its
    /// position), or <paramref name="ids"/> is shorter than the text.</exception>
    public static int Encode(ReadOnlySpan<char> text, Span<int> ids)
    {
        if (ids.Length < text.Length)
        {
            throw new ArgumentException($"ids holds {ids.Length} elements; the text \"{text}\" needs {text.Length}.", nameof(ids));
        }

        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            int id = c < Ids.Length ? Ids[c] : -1;
            if (id < 0)
            {
                throw new ArgumentException(
                    $"The character '{c}' (U+{(int)c:X4}) at position {i} of \"{text}\" is not in the date vocabulary \"{Characters}\".",
                    nameof(text));
            }

            ids[i] = id;
        }

        return text.Length;
    }

    /// <summary>
    /// Writes the characters of <paramref name="ids"/> into <paramref name="text"/> up to the first <see cref="Eos"/>
    /// (excluded) and returns the number written; <see cref="Pad"/> and <see cref="Bos"/> are skipped.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, Size)</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="text"/> is too short.</exception>
    public static int Decode(ReadOnlySpan<int> ids, Span<char> text)
    {
        int written = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if (id == Eos)
            {
                break;
            }

            if ((uint)id >= (uint)Size)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"ids[{i}] = {id} is not a token id (vocabulary size {Size}).");
            }

            if (id < FirstCharacter)
            {
                continue;
            }

            if (written == text.Length)
            {
                throw new ArgumentException($"text holds {text.Length} characters; the ids decode to more.", nameof(text));
            }

            text[written++] = Characters[id - FirstCharacter];
        }

        return written;
    }

    /// <summary>The text of <paramref name="ids"/> up to the first <see cref="Eos"/>; <see cref="Pad"/> and <see cref="Bos"/> are skipped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, Size)</c>.</exception>
    public static string Decode(ReadOnlySpan<int> ids)
    {
        Span<char> text = ids.Length <= 256 ? stackalloc char[ids.Length] : new char[ids.Length];
        return new string(text[..Decode(ids, text)]);
    }

    /// <summary>A printable name for one id: <c>&lt;pad&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c> or the character.</summary>
    public static string Display(int id) => id switch
    {
        Pad => "<pad>",
        Bos => "<s>",
        Eos => "</s>",
        _ when (uint)id < (uint)Size => Characters[id - FirstCharacter].ToString(),
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, $"{id} is not a token id (vocabulary size {Size})."),
    };

    /// <summary>
    /// Writes the encoder row: the ids of <paramref name="source"/>, then <see cref="Pad"/> to the end of
    /// <paramref name="row"/>. Returns the source length (the row's real positions, for key-padding masks).
    /// </summary>
    /// <exception cref="ArgumentException">The source is longer than the row or has an unknown character.</exception>
    public static int WriteSource(ReadOnlySpan<char> source, Span<int> row)
    {
        int length = Encode(source, row);
        row[length..].Fill(Pad);
        return length;
    }

    /// <summary>
    /// Writes the decoder input for teacher forcing, <c>[BOS, y1 .. yn, PAD ...]</c>, from the target ids
    /// <paramref name="target"/> (no special tokens). Returns the real positions, <c>n + 1</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="row"/> is shorter than <c>n + 1</c>.</exception>
    public static int WriteDecoderInput(ReadOnlySpan<int> target, Span<int> row)
    {
        CheckTargetRow(target, row);
        row[0] = Bos;
        target.CopyTo(row[1..]);
        row[(target.Length + 1)..].Fill(Pad);
        return target.Length + 1;
    }

    /// <summary>
    /// Writes the labels for teacher forcing, <c>[y1 .. yn, EOS, IgnoreIndex ...]</c>, from the target ids
    /// <paramref name="target"/> (no special tokens). Returns the real positions, <c>n + 1</c>.
    /// </summary>
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

    private static int[] BuildIds()
    {
        int max = 0;
        foreach (char c in Characters)
        {
            max = Math.Max(max, c);
        }

        var ids = new int[max + 1];
        Array.Fill(ids, -1);
        for (int i = 0; i < Characters.Length; i++)
        {
            ids[Characters[i]] = FirstCharacter + i;
        }

        return ids;
    }
}
