namespace ModelDsl.Generator;

/// <summary>Names of the pipeline steps (WithTrackingName), so tests can check what ran and what was cached.</summary>
internal static class TrackingNames
{
    public const string Parse = "ModelDsl.Parse";
    public const string Models = "ModelDsl.Models";
    public const string Plan = "ModelDsl.Plan";
    public const string Emit = "ModelDsl.Emit";
    public const string Diagnostics = "ModelDsl.Diagnostics";
    public const string Sources = "ModelDsl.Sources";
    public const string AllSources = "ModelDsl.AllSources";

    /// <summary>The ONNX export step; it runs only when the compilation references ModelDsl.Onnx, so it is not in <see cref="All"/>.</summary>
    public const string Onnx = "ModelDsl.Onnx";

    /// <summary>Every name above, for tests.</summary>
    public static readonly string[] All = [Parse, Models, Plan, Emit, Diagnostics, Sources, AllSources];
}
