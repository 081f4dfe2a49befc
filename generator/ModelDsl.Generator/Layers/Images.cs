using System.Globalization;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>What the image layers share: the [B, C, H, W] input rule and the output-size rule of a sliding window.</summary>
internal static class Images
{
    /// <summary>Reports an input that is not an image [B, C, H, W]; returns whether it is one.</summary>
    public static bool Require(LayerContext c)
    {
        if (c.Input.Tokens || c.Input.Rank != 4)
        {
            c.Report(DiagnosticDescriptors.InputKindMismatch, c.Layer.AttributeLocation, c.Layer.Name, c.Layer.Kind.ToString(), "an image [B, C, H, W] (an [Input(Channels = C, Height = H, Width = W)] or an image layer)", c.From, c.Input.Named);
            return false;
        }

        return true;
    }

    /// <summary>
    /// PyTorch's output size <c>(size + 2·padding - dilation·(kernel - 1) - 1) / stride + 1</c> along <paramref name="axis"/>
    /// ("height", "width"); reports MDSL1020 naming every term and returns 0 when it is below 1.
    /// </summary>
    public static long OutputSize(LayerContext c, string axis, Dim size, long kernel, long stride, long padding, long dilation)
    {
        long span = Sizes.Add(Sizes.Multiply(dilation, kernel - 1), 1);
        long padded = size.Size + (2 * padding);
        long output = padded < span ? 0 : ((padded - span) / stride) + 1;
        if (output < 1)
        {
            string formula = "(" + size.Named + " + 2·Padding (" + Int(padding) + ") - "
                + (dilation == 1 ? string.Empty : "Dilation (" + Int(dilation) + ")·") + "(Kernel (" + Int(kernel) + ") - 1) - 1) / Stride (" + Int(stride) + ") + 1";
            c.Report(DiagnosticDescriptors.EmptyImageOutput, c.At("Kernel"), c.Layer.Name, axis, formula, padded < span ? "less than 1" : Int(output));
            return 0;
        }

        return output;
    }

    /// <summary>An unnamed static dimension (an output size the generator computed).</summary>
    public static Dim Computed(long size) => new(null, size, DimKind.Static);

    /// <summary>"C, H, W" of an image shape as emitted literals.</summary>
    public static (long Channels, long Height, long Width) Sizes3(Shape image) => (image.Dims[1].Size, image.Dims[2].Size, image.Dims[3].Size);

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
