namespace ModelDsl.Export;

/// <summary>Multi-label head: every output an independent logit with a 0/1 target ([BceWithLogitsLoss]).</summary>
[Model(MaxBatch = 6)]
public partial class MultiLabelTagger
{
    [Input(Features = 6)] public partial FeatureInput X { get; }
    [Dense(8, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
    [Dense(4)] [BceWithLogitsLoss] public partial Dense Labels { get; }
}

/// <summary>Per-position L1 regression over a feature sequence: only the valid positions count ([L1Loss]).</summary>
[Model(MaxBatch = 4)]
public partial class SequenceL1Regressor
{
    public const int Length = 5;
    [Input(Length, Features = 3)] public partial FeatureInput X { get; }
    [Dense(4, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
    [Dense(2)] [L1Loss] public partial Dense Out { get; }
}

/// <summary>Class logits against soft labels (a distribution per row, e.g. mixup) ([SoftCrossEntropyLoss]).</summary>
[Model(MaxBatch = 6)]
public partial class SoftLabelClassifier
{
    [Input(Features = 5)] public partial FeatureInput X { get; }
    [Dense(8, Activation = Activation.Relu)] public partial Dense Hidden { get; }
    [Dense(4)] [SoftCrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>A student trained on a teacher's logits softened at T = 2.5 ([KLDivergenceLoss]).</summary>
[Model(MaxBatch = 6)]
public partial class DistilledStudent
{
    [Input(Features = 5)] public partial FeatureInput X { get; }
    [Dense(8, Activation = Activation.Gelu)] public partial Dense Hidden { get; }
    [Dense(4)] [KLDivergenceLoss(Temperature = 2.5f)] public partial Dense Head { get; }
}

/// <summary>Distillation per position (T = 2): the rows are the valid positions ([KLDivergenceLoss] over a sequence).</summary>
[Model(MaxBatch = 4)]
public partial class SequenceDistilledStudent
{
    public const int Length = 4;
    [Input(Length, Features = 3)] public partial FeatureInput X { get; }
    [Dense(5)] [KLDivergenceLoss(Temperature = 2f)] public partial Dense Head { get; }
}

/// <summary>Class-weighted cross-entropy with label smoothing and an ignore index ([CrossEntropyLoss(ClassWeights = true)]).</summary>
[Model(MaxBatch = 8)]
public partial class WeightedClassifier
{
    [Input(Features = 5)] public partial FeatureInput X { get; }
    [Dense(8, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
    [Dense(4)] [CrossEntropyLoss(ClassWeights = true, LabelSmoothing = 0.1f, IgnoreIndex = 3)] public partial Dense Head { get; }
}

/// <summary>[Add] and [Concat] on dense features, one of them the batch input itself (which takes no gradient).</summary>
[Model(MaxBatch = 6)]
public partial class MergedFeatures
{
    [Input(Features = 5)] public partial FeatureInput X { get; }
    [Dense(5, Activation = Activation.Tanh)] public partial Dense Left { get; }
    [Dense(5, From = nameof(X), Activation = Activation.Gelu)] public partial Dense Right { get; }
    [Add(nameof(Left), nameof(Right))] public partial MergeLayer Sum { get; }
    [Concat(nameof(Sum), nameof(X))] public partial MergeLayer Both { get; }
    [Add(nameof(X), nameof(Left))] public partial MergeLayer Skip { get; }
    [Concat(nameof(Both), nameof(Skip))] public partial MergeLayer All { get; }
    [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
}

/// <summary>[Add] and [Concat] over one token sequence (key padding matters): embeddings plus a projection, then pooled.</summary>
[Model(MaxBatch = 4)]
public partial class MergedSequence
{
    public const int Vocab = 11, D = 6, Length = 5;
    [Input(Length)] public partial TokenInput Text { get; }
    [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
    [LearnedPositions(Length)] public partial Positions Positions { get; }
    [Dense(D, From = nameof(Tokens), Activation = Activation.Tanh)] public partial Dense Projected { get; }
    [Add(nameof(Positions), nameof(Projected))] public partial MergeLayer Sum { get; }
    [Concat(nameof(Sum), nameof(Tokens))] public partial MergeLayer Both { get; }
    [MeanPool] public partial Pool Pool { get; }
    [Dense(3)] [CrossEntropyLoss] public partial Dense Head { get; }
}
