using System;

namespace ModelDsl;

/// <summary>
/// A model input. <c>[Input(Length)]</c> declares token ids <c>[B, T]</c> with <c>T &lt;= Length</c> (property type
/// <see cref="TokenInput"/>); <c>[Input(Features = N)]</c> a dense vector <c>[B, N]</c> and
/// <c>[Input(Length, Features = N)]</c> a sequence of vectors <c>[B, T, N]</c> (property type <see cref="FeatureInput"/>);
/// <c>[Input(Channels = C, Height = H, Width = W)]</c> images <c>[B, C, H, W]</c> (NCHW as PyTorch, property type
/// <see cref="ImageInput"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>A dense input; set <see cref="Features"/>.</summary>
    public InputAttribute()
    {
    }

    /// <summary>A sequence input of at most <paramref name="maxLength"/> positions.</summary>
    public InputAttribute(int maxLength) => MaxLength = maxLength;

    /// <summary>Maximum sequence length (0 = not a sequence).</summary>
    public int MaxLength { get; }

    /// <summary>Width of each dense feature vector (0 = token ids).</summary>
    public int Features { get; set; }

    /// <summary>Channels of an image input <c>[B, C, H, W]</c> (0 = not an image).</summary>
    public int Channels { get; set; }

    /// <summary>Height (rows) of an image input.</summary>
    public int Height { get; set; }

    /// <summary>Width (columns) of an image input.</summary>
    public int Width { get; set; }

    /// <summary>Token id written into padded positions (token inputs only).</summary>
    public int PadId { get; set; }
}
