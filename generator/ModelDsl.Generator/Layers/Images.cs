using System.Globalization;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Parsing;
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

    /// <summary>
    /// Reads a convolution's <c>OutChannels</c>, <c>Kernel</c>, <c>Stride</c>, <c>Padding</c>, <c>Dilation</c> and <c>Groups</c>
    /// (PyTorch's defaults) and checks them: each in range, a declared <c>InChannels</c> equal to <paramref name="channels"/>
    /// (<paramref name="declaredShape"/> writes the expected input shape around it), <c>Groups</c> dividing both channel counts.
    /// Reports the first problem at its argument and returns null.
    /// </summary>
    public static ConvolutionArguments? ReadConvolution(LayerContext c, Dim channels, System.Func<string, string> declaredShape)
    {
        LayerSpec layer = c.Layer;
        long outChannels = c.Int("OutChannels", 0), kernel = c.Int("Kernel", 0), stride = c.Int("Stride", 1), padding = c.Int("Padding", 0);
        long dilation = c.Int("Dilation", 1), groups = c.Int("Groups", 1);
        if (!c.CheckRange("OutChannels", outChannels, 1, "at least 1") || !c.CheckRange("Kernel", kernel, 1, "at least 1")
            || !c.CheckRange("Stride", stride, 1, "at least 1") || !c.CheckRange("Padding", padding, 0, "0 or more")
            || !c.CheckRange("Dilation", dilation, 1, "at least 1") || !c.CheckRange("Groups", groups, 1, "at least 1"))
        {
            return null;
        }

        if (layer.Argument("InChannels") is { } declared && declared.Int != channels.Size)
        {
            c.Report(DiagnosticDescriptors.WidthMismatch, c.At("InChannels"), layer.Name, declaredShape(declared.Display), c.From, c.Input.Named);
            return null;
        }

        if (channels.Size % groups != 0 || outChannels % groups != 0)
        {
            string rule = "a divisor of both the input channels " + channels.Named + " and OutChannels (" + Int(outChannels) + ")";
            c.Report(DiagnosticDescriptors.ArgumentOutOfRange, c.At("Groups"), layer.Name, "Groups", layer.Argument("Groups")!.Display, rule);
            return null;
        }

        return new ConvolutionArguments(outChannels, kernel, stride, padding, dilation, groups);
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A convolution's checked arguments (see <see cref="Images.ReadConvolution"/>).</summary>
internal readonly record struct ConvolutionArguments(long OutChannels, long Kernel, long Stride, long Padding, long Dilation, long Groups);
