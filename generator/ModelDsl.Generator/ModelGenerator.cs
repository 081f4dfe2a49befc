using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator;

/// <summary>
/// The ModelDsl incremental generator: [Model] classes -> <see cref="ModelSpec"/> (Parsing) ->
/// <see cref="ModelPlan"/> (Planning) -> C# files (Emit). Sources and diagnostics are two outputs.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ModelGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ModelSpec?> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.ModelAttribute,
                static (node, _) => node is TypeDeclarationSyntax,
                static (context, cancellationToken) => ModelParser.Parse(context, cancellationToken))
            .WithTrackingName(TrackingNames.Parse);

        IncrementalValuesProvider<ModelSpec> models = parsed
            .Where(static spec => spec is not null)
            .Select(static (spec, _) => spec!)
            .WithTrackingName(TrackingNames.Models);

        IncrementalValuesProvider<ModelPlan> plans = models
            .Select(static (spec, cancellationToken) => ModelPlanner.Plan(spec, cancellationToken))
            .WithTrackingName(TrackingNames.Plan);

        IncrementalValuesProvider<EmitResult> results = plans
            .Select(static (plan, cancellationToken) => ModelEmitter.Emit(plan, cancellationToken))
            .WithTrackingName(TrackingNames.Emit);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        // Collected so that two [Model] classes with the same full name (a compiler error anyway) cannot add one hint name twice.
        IncrementalValueProvider<ImmutableArray<EquatableArray<GeneratedSource>>> sources = results
            .Select(static (result, _) => result.Sources)
            .WithTrackingName(TrackingNames.Sources)
            .Collect()
            .WithTrackingName(TrackingNames.AllSources);

        // ONNX export (ToOnnx/WriteOnnx) only for a compilation that references ModelDsl.Onnx: see Emit/OnnxEmitter.cs.
        IncrementalValueProvider<bool> onnxReferenced = context.CompilationProvider
            .Select(static (compilation, _) => System.Linq.Enumerable.Any(compilation.ReferencedAssemblyNames, static a => a.Name == OnnxEmitter.AssemblyName));
        IncrementalValuesProvider<EmitResult> onnx = plans
            .Combine(onnxReferenced)
            .Where(static pair => pair.Right)
            .Select(static (pair, cancellationToken) => OnnxEmitter.Emit(pair.Left, cancellationToken))
            .WithTrackingName(TrackingNames.Onnx);
        context.RegisterSourceOutput(onnx, static (context, result) =>
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
            {
                context.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            foreach (GeneratedSource file in result.Sources)
            {
                context.AddSource(file.HintName, SourceText.From(file.Text, System.Text.Encoding.UTF8));
            }
        });

        context.RegisterSourceOutput(diagnostics, static (context, diagnostics) =>
        {
            foreach (DiagnosticInfo diagnostic in diagnostics)
            {
                context.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        context.RegisterSourceOutput(sources, static (context, sources) =>
        {
            var added = new HashSet<string>(System.StringComparer.OrdinalIgnoreCase);
            foreach (EquatableArray<GeneratedSource> files in sources)
            {
                foreach (GeneratedSource file in files)
                {
                    if (added.Add(file.HintName))
                    {
                        context.AddSource(file.HintName, SourceText.From(file.Text, System.Text.Encoding.UTF8));
                    }
                }
            }
        });
    }
}
