namespace ModelDsl.Examples.Distillation;

/// <summary>The teacher: a 64-256-128-10 ReLU network trained on the hard labels (about 50,000 parameters).</summary>
[Model(MaxBatch = 64)]
public partial class Teacher
{
    /// <summary>Pixels of an 8x8 scan and the classes.</summary>
    public const int Pixels = 64, Classes = 10;

    /// <summary>The scan's pixels in [0, 1].</summary>
    [Input(Features = Pixels)] public partial FeatureInput X { get; }

    /// <summary>First hidden layer.</summary>
    [Dense(256, Activation = Activation.Relu)] public partial Dense Hidden1 { get; }

    /// <summary>Second hidden layer.</summary>
    [Dense(128, Activation = Activation.Relu)] public partial Dense Hidden2 { get; }

    /// <summary>The class logits.</summary>
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>
/// The student distilled from the teacher (Hinton et al., 2015): one small hidden layer and one head carrying two losses,
/// <c>Alpha · CE(hard labels) + (1 - Alpha) · T² KL(softmax(teacher / T) ‖ softmax(student / T))</c>.
/// </summary>
[Model(MaxBatch = 64)]
public partial class DistilledStudent
{
    /// <summary>Pixels, classes and the student's hidden width (small on purpose: about 700 parameters).</summary>
    public const int Pixels = 64, Classes = 10, Hidden = StudentSize.Hidden;

    /// <summary>The weight of the hard-label loss; the soft loss gets 1 - Alpha.</summary>
    public const float Alpha = 0.3f;

    /// <summary>The softening temperature.</summary>
    public const float T = 4f;

    /// <summary>The scan's pixels in [0, 1].</summary>
    [Input(Features = Pixels)] public partial FeatureInput X { get; }

    /// <summary>The student's one hidden layer.</summary>
    [Dense(Hidden, Activation = Activation.Relu)] public partial Dense Hidden1 { get; }

    /// <summary>The class logits, with both losses: <c>HardLabels</c> and the teacher's logits in <c>SoftTargets</c>.</summary>
    [Dense(Classes)]
    [CrossEntropyLoss(Weight = Alpha, Name = "Hard")]
    [KLDivergenceLoss(Temperature = T, Weight = 1f - Alpha, Name = "Soft")]
    public partial Dense Logits { get; }
}

/// <summary>The same student trained on the hard labels alone (same layers, so the same initial weights for one seed).</summary>
[Model(MaxBatch = 64)]
public partial class PlainStudent
{
    /// <summary>Pixels, classes and the student's hidden width.</summary>
    public const int Pixels = 64, Classes = 10, Hidden = StudentSize.Hidden;

    /// <summary>The scan's pixels in [0, 1].</summary>
    [Input(Features = Pixels)] public partial FeatureInput X { get; }

    /// <summary>The student's one hidden layer.</summary>
    [Dense(Hidden, Activation = Activation.Relu)] public partial Dense Hidden1 { get; }

    /// <summary>The class logits.</summary>
    [Dense(Classes)] [CrossEntropyLoss] public partial Dense Logits { get; }
}

/// <summary>The students' size, shared by both declarations.</summary>
public static class StudentSize
{
    /// <summary>Hidden units of the student.</summary>
    public const int Hidden = 10;
}
