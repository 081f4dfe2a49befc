using ModelDsl.Generator.Common;

namespace ModelDsl.Generator.Emit;

/// <summary>One generated file.</summary>
internal sealed record GeneratedSource(string HintName, string Text);

/// <summary>The emit step's output: files and every diagnostic for the model.</summary>
internal sealed record EmitResult(EquatableArray<GeneratedSource> Sources, EquatableArray<DiagnosticInfo> Diagnostics);
