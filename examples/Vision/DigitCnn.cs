using ModelDsl;

namespace ModelDsl.Examples.Vision;

/// <summary>
/// A small CNN for the 8x8 UCI digits: two 3x3 convolutions (same padding) each followed by ReLU and 2x2 max pooling, then a
/// Dense head over the flattened 64 x 2 x 2 features. PyTorch equivalent: <c>Conv2d(1, 32, 3, padding=1)</c>, ReLU,
/// <c>MaxPool2d(2)</c>, <c>Conv2d(32, 64, 3, padding=1)</c>, ReLU, <c>MaxPool2d(2)</c>, <c>Flatten</c>, <c>Linear(256, 10)</c>.
/// </summary>
[Model(MaxBatch = 32)]
public partial class DigitCnn
{
    /// <summary>Image side, filters of the two convolutions, classes.</summary>
    public const int Side = 8, Filters1 = 32, Filters2 = 64, Classes = 10;

    /// <summary>The scans: one channel, 8x8, pixel counts 0..16 scaled to [0, 1].</summary>
    [Input(Channels = 1, Height = Side, Width = Side)] public partial ImageInput Pixels { get; }

    /// <summary>[B, 32, 8, 8].</summary>
    [Conv2d(Filters1, 3, Padding = 1)] public partial Conv2dLayer Conv1 { get; }

    /// <summary>ReLU.</summary>
    [Activation(Activation.Relu)] public partial ActivationLayer Relu1 { get; }

    /// <summary>[B, 32, 4, 4].</summary>
    [MaxPool2d(2)] public partial Pool2dLayer Pool1 { get; }

    /// <summary>[B, 64, 4, 4].</summary>
    [Conv2d(Filters2, 3, Padding = 1)] public partial Conv2dLayer Conv2 { get; }

    /// <summary>ReLU.</summary>
    [Activation(Activation.Relu)] public partial ActivationLayer Relu2 { get; }

    /// <summary>[B, 64, 2, 2].</summary>
    [MaxPool2d(2)] public partial Pool2dLayer Pool2 { get; }

    /// <summary>[B, 256].</summary>
    [Flatten] public partial FlattenLayer Flat { get; }

    /// <summary>Some regularization for 1,438 training images.</summary>
    [Dropout(0.25f)] public partial DropoutLayer Drop { get; }

    /// <summary>The ten classes.</summary>
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
}
