namespace ModelDsl.Generator.Layers;

/// <summary>The runtime's <c>Masks</c> flags (which masks an attention applies), as the attention layers read them.</summary>
internal static class Masks
{
    public const int Causal = 1;
    public const int KeyPadding = 2;
    public const int LocalWindow = 4;
    public const int Graph = 8;
    public const int All = Causal | KeyPadding | LocalWindow | Graph;
}
