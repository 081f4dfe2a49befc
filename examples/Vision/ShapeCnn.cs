using ModelDsl;

namespace ModelDsl.Examples.Vision;

/// <summary>
/// A small CNN for the 32x32 drawn shapes: three 3x3 convolutions (same padding) each followed by ReLU and 2x2 max pooling, then
/// a Dense head over the flattened 32 x 4 x 4 features. PyTorch equivalent: <c>Conv2d(1, 8, 3, padding=1)</c>, ReLU,
/// <c>MaxPool2d(2)</c>, <c>Conv2d(8, 16, 3, padding=1)</c>, ReLU, <c>MaxPool2d(2)</c>, <c>Conv2d(16, 32, 3, padding=1)</c>, ReLU,
/// <c>MaxPool2d(2)</c>, <c>Flatten</c>, <c>Linear(512, 4)</c>.
/// </summary>
[Model(MaxBatch = 32)]
public partial class ShapeCnn
{
    /// <summary>Image side, filters of the three convolutions, classes.</summary>
    public const int Side = Shapes.Side, Filters1 = 8, Filters2 = 16, Filters3 = 32, Classes = Shapes.Classes;

    /// <summary>The drawn images: one channel, 32x32, intensities in [0, 1].</summary>
    [Input(Channels = 1, Height = Side, Width = Side)] public partial ImageInput Pixels { get; }

    /// <summary>[B, 8, 32, 32].</summary>
    [Conv2d(Filters1, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }

    /// <summary>ReLU.</summary>
    [Activation(Activation.Relu)] public partial ActivationLayer Relu1 { get; }

    /// <summary>[B, 8, 16, 16].</summary>
    [MaxPool2d(2)] public partial Pool2dLayer Pool1 { get; }

    /// <summary>[B, 16, 16, 16].</summary>
    [Conv2d(Filters2, 3, Padding = 1)] public partial Conv2dLayer Conv2 { get; }

    /// <summary>ReLU.</summary>
    [Activation(Activation.Relu)] public partial ActivationLayer Relu2 { get; }

    /// <summary>[B, 16, 8, 8].</summary>
    [MaxPool2d(2)] public partial Pool2dLayer Pool2 { get; }

    /// <summary>[B, 32, 8, 8].</summary>
    [Conv2d(Filters3, 3, Padding = 1)] public partial Conv2dLayer Conv3 { get; }

    /// <summary>ReLU.</summary>
    [Activation(Activation.Relu)] public partial ActivationLayer Relu3 { get; }

    /// <summary>[B, 32, 4, 4].</summary>
    [MaxPool2d(2)] public partial Pool2dLayer Pool3 { get; }

    /// <summary>[B, 512].</summary>
    [Flatten] public partial FlattenLayer Flat { get; }

    /// <summary>The four shapes.</summary>
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}
