using System;

namespace ModelDsl.Tokenization;

/// <summary>
/// Text to token ids and back: the small interface shared by <see cref="CharVocabulary"/>, <see cref="WordVocabulary"/>
/// and the subword tokenizers of the <c>ModelDsl.Tokenizers</c> package (BPE, WordPiece, tiktoken).
/// </summary>
public interface ITokenizer
{
    /// <summary>Ids are in <c>[0, VocabularySize)</c>: the model's <c>Vocab</c> must be at least this.</summary>
    int VocabularySize { get; }

    /// <summary>The ids of the special tokens (-1 for those this tokenizer lacks).</summary>
    SpecialTokens Special { get; }

    /// <summary>The ids of <paramref name="text"/>, without special tokens (add BOS/EOS where the model needs them).</summary>
    int[] Encode(string text);

    /// <summary>The text of <paramref name="ids"/>, stopping at the first end-of-sequence id; padding and begin-of-sequence ids are skipped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, VocabularySize)</c> (the message names its position).</exception>
    string Decode(ReadOnlySpan<int> ids);
}

/// <summary>The ids of the special tokens; -1 where a tokenizer has no such token.</summary>
/// <param name="Pad">Padding, <c>&lt;pad&gt;</c>.</param>
/// <param name="Bos">Begin of sequence, <c>&lt;s&gt;</c>.</param>
/// <param name="Eos">End of sequence, <c>&lt;/s&gt;</c>.</param>
/// <param name="Unknown">Unknown token, <c>&lt;unk&gt;</c>.</param>
/// <param name="Mask">Masked token (masked-LM), <c>&lt;mask&gt;</c>.</param>
/// <param name="Cls">Classification token, <c>&lt;cls&gt;</c>.</param>
/// <param name="Sep">Separator, <c>&lt;sep&gt;</c>.</param>
public sealed record SpecialTokens(int Pad, int Bos, int Eos, int Unknown, int Mask, int Cls, int Sep)
{
    /// <summary>The texts of the special tokens, in the id order of <see cref="Vocabulary"/>: pad 0, bos 1, eos 2, unk 3, mask 4, cls 5, sep 6.</summary>
    public static readonly string[] Texts = ["<pad>", "<s>", "</s>", "<unk>", "<mask>", "<cls>", "<sep>"];

    /// <summary>The ids <see cref="Vocabulary"/> gives them: 0 to 6 in the order of <see cref="Texts"/>.</summary>
    public static SpecialTokens Standard { get; } = new(0, 1, 2, 3, 4, 5, 6);
}

/// <summary>
/// Which special tokens a <see cref="Vocabulary"/> reserves: those chosen take the first ids, in the order of
/// <see cref="SpecialTokens.Texts"/> (<c>Pad | Bos | Eos</c> gives <c>&lt;pad&gt;</c> 0, <c>&lt;s&gt;</c> 1, <c>&lt;/s&gt;</c> 2);
/// the others have id -1 in <see cref="ITokenizer.Special"/>. <see cref="All"/> (the default) reserves the seven.
/// </summary>
[Flags]
public enum SpecialTokenSet
{
    /// <summary>No special token: ids start with the corpus's tokens.</summary>
    None = 0,

    /// <summary><c>&lt;pad&gt;</c>.</summary>
    Pad = 1,

    /// <summary><c>&lt;s&gt;</c>.</summary>
    Bos = 2,

    /// <summary><c>&lt;/s&gt;</c>.</summary>
    Eos = 4,

    /// <summary><c>&lt;unk&gt;</c>: without it, encoding a token outside the vocabulary throws.</summary>
    Unknown = 8,

    /// <summary><c>&lt;mask&gt;</c>.</summary>
    Mask = 16,

    /// <summary><c>&lt;cls&gt;</c>.</summary>
    Cls = 32,

    /// <summary><c>&lt;sep&gt;</c>.</summary>
    Sep = 64,

    /// <summary>The seven, at ids 0 to 6 (<see cref="SpecialTokens.Standard"/>).</summary>
    All = Pad | Bos | Eos | Unknown | Mask | Cls | Sep,
}
