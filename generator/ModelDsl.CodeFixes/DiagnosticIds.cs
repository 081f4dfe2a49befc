namespace ModelDsl.CodeFixes;

/// <summary>The ids of the generator's diagnostics that have a mechanical fix (see docs/diagnostics/).</summary>
internal static class DiagnosticIds
{
    /// <summary>Model class must be partial.</summary>
    public const string ModelNotPartial = "MDSL0001";

    /// <summary>A layer must be a get-only partial property.</summary>
    public const string UnsupportedMember = "MDSL0003";

    /// <summary>Layer property has the wrong type.</summary>
    public const string WrongHandleType = "MDSL0004";

    /// <summary>Model must declare MaxBatch.</summary>
    public const string MissingMaxBatch = "MDSL0005";

    /// <summary>A member name is written as a string instead of nameof.</summary>
    public const string MemberNameAsString = "MDSL0016";
}
