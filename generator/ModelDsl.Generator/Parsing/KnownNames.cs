namespace ModelDsl.Generator.Parsing;

/// <summary>Metadata names of the DSL's runtime types, and the members the generator adds to a model.</summary>
internal static class KnownNames
{
    public const string Namespace = "ModelDsl";
    public const string ModelAttribute = "ModelDsl.ModelAttribute";

    public static LayerKind LayerKindOf(string attributeName) => attributeName switch
    {
        "InputAttribute" => LayerKind.Input,
        "EmbeddingAttribute" => LayerKind.Embedding,
        "SinusoidalPositionsAttribute" => LayerKind.SinusoidalPositions,
        "LearnedPositionsAttribute" => LayerKind.LearnedPositions,
        "TransformerEncoderAttribute" => LayerKind.TransformerEncoder,
        "TransformerDecoderAttribute" => LayerKind.TransformerDecoder,
        "MultiHeadAttentionAttribute" => LayerKind.MultiHeadAttention,
        "MeanPoolAttribute" => LayerKind.MeanPool,
        "FirstTokenPoolAttribute" => LayerKind.FirstTokenPool,
        "LastTokenPoolAttribute" => LayerKind.LastTokenPool,
        "DenseAttribute" => LayerKind.Dense,
        "DropoutAttribute" => LayerKind.Dropout,
        "LayerNormAttribute" => LayerKind.LayerNorm,
        "BatchNormAttribute" => LayerKind.BatchNorm,
        "RecurrentEncoderAttribute" => LayerKind.RecurrentEncoder,
        "RecurrentDecoderAttribute" => LayerKind.RecurrentDecoder,
        _ => LayerKind.Unknown,
    };

    public static LossKind LossKindOf(string attributeName) => attributeName switch
    {
        "CrossEntropyLossAttribute" => LossKind.CrossEntropy,
        "MseLossAttribute" => LossKind.Mse,
        _ => LossKind.None,
    };

    /// <summary>The attribute's name as written, e.g. <c>TransformerEncoder</c>.</summary>
    public static string AttributeName(LayerKind kind) => kind.ToString();

    /// <summary>The loss attribute's name as written.</summary>
    public static string AttributeName(LossKind kind) => kind == LossKind.Mse ? "MseLoss" : "CrossEntropyLoss";

    /// <summary>The handle type a layer's property must have (inputs depend on their arguments).</summary>
    public static string HandleType(LayerKind kind, bool featureInput) => kind switch
    {
        LayerKind.Input => featureInput ? "FeatureInput" : "TokenInput",
        LayerKind.Embedding => "TokenEmbedding",
        LayerKind.SinusoidalPositions or LayerKind.LearnedPositions => "Positions",
        LayerKind.TransformerEncoder => "EncoderStack",
        LayerKind.TransformerDecoder => "DecoderStack",
        LayerKind.MultiHeadAttention => "AttentionBlock",
        LayerKind.MeanPool or LayerKind.FirstTokenPool or LayerKind.LastTokenPool => "Pool",
        LayerKind.Dense => "Dense",
        LayerKind.Dropout => "DropoutLayer",
        LayerKind.LayerNorm or LayerKind.BatchNorm => "Norm",
        LayerKind.RecurrentEncoder => "RecurrentStack",
        LayerKind.RecurrentDecoder => "RecurrentDecoderLayer",
        _ => "Layer",
    };

    public static bool IsHandleType(string metadataName) => metadataName switch
    {
        "ModelDsl.TokenInput" or "ModelDsl.FeatureInput" or "ModelDsl.TokenEmbedding" or "ModelDsl.Positions"
            or "ModelDsl.EncoderStack" or "ModelDsl.DecoderStack" or "ModelDsl.AttentionBlock" or "ModelDsl.Pool"
            or "ModelDsl.Dense" or "ModelDsl.DropoutLayer" or "ModelDsl.Norm" or "ModelDsl.RecurrentStack" or "ModelDsl.RecurrentDecoderLayer" => true,
        _ => false,
    };

    /// <summary>Members the generator adds to every model; a user member with one of these names is an error.</summary>
    public static bool IsReserved(string memberName) => memberName.StartsWith("__", System.StringComparison.Ordinal) || memberName switch
    {
        "MaxBatch" or "Dims" or "Batch" or "Trainer" or "CreateTrainer" or "StepDecoder" or "CreateDecoder" or "ParameterTable" or "LayerTable" or "ParameterCount" or "ParameterBlockLength"
            or "StateTable" or "StateBlockLength" or "ActivationTable" or "ActivationBlockLength" or "Summary"
            or "Parameters" or "State" => true,
        _ => false,
    };
}
