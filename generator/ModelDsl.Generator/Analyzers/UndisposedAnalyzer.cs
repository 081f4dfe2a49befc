using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Analyzers;

/// <summary>
/// MDSL0017: a <c>Trainer</c> or <c>StepDecoder</c> made by a model's <c>CreateTrainer</c>/<c>CreateDecoder</c> that
/// is never disposed. Both own worker threads and aligned native memory that only <c>Dispose</c> gives back.
/// </summary>
/// <remarks>
/// The rule is local, like CA2000: the result is fine when it goes into a <c>using</c>, is disposed by a
/// <c>Dispose()</c> call on the local that holds it, or leaves the method (returned, stored in a field, property or
/// element, passed as an argument or as part of a tuple): then its new owner disposes it. Otherwise, discarded or kept in a local that is
/// none of those, it is reported at the call.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UndisposedAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.UndisposedTrainerOrDecoder);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        IMethodSymbol method = invocation.TargetMethod;
        if (method.Name is not ("CreateTrainer" or "CreateDecoder") || !IsModel(method.ContainingType) || !IsDisposable(method.ReturnType))
        {
            return;
        }

        if (IsHandedOver(invocation, out ILocalSymbol? local) || (local is not null && IsDisposedOrHandedOver(local, Root(invocation))))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UndisposedTrainerOrDecoder, invocation.Syntax.GetLocation(),
            method.ReturnType.Name, method.ContainingType.Name + "." + method.Name));
    }

    // Where the created object goes: into a using, out of the method, or into a local (returned in `local`).
    private static bool IsHandedOver(IOperation created, out ILocalSymbol? local)
    {
        local = null;
        IOperation? parent = Unwrap(created.Parent);
        switch (parent)
        {
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                local = declarator.Symbol;
                // using var x = ...; / using (var x = ...)
                return declarator.Parent?.Parent is IVariableDeclarationGroupOperation group
                    && group.Parent is IUsingOperation or IUsingDeclarationOperation;
            case ISimpleAssignmentOperation assignment:
                if (assignment.Target is ILocalReferenceOperation reference)
                {
                    local = reference.Local;
                    return false;
                }

                return true; // a field, property or element: its owner disposes it
            case IReturnOperation or IArgumentOperation or IUsingOperation or ITupleOperation:
                return true;
            case IInvocationOperation call when call.TargetMethod.Name is "Dispose" or "DisposeAsync":
                return true;
            default:
                return false;
        }
    }

    private static bool IsDisposedOrHandedOver(ILocalSymbol local, IOperation root)
    {
        foreach (IOperation operation in root.Descendants())
        {
            if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                continue;
            }

            IOperation? parent = Unwrap(reference.Parent);
            if (parent is IInvocationOperation call && call.Instance == reference && call.TargetMethod.Name is "Dispose" or "DisposeAsync")
            {
                return true;
            }

            if (parent is IConditionalAccessOperation { WhenNotNull: IInvocationOperation { TargetMethod.Name: "Dispose" or "DisposeAsync" } })
            {
                return true;
            }

            // A tuple element goes wherever the tuple goes (usually a deconstruction into fields): handed over.
            if (parent is IReturnOperation or IArgumentOperation or IUsingOperation or ITupleOperation
                || (parent is ISimpleAssignmentOperation assignment && Unwrap(assignment.Value) == reference && assignment.Target is not ILocalReferenceOperation))
            {
                return true;
            }
        }

        return false;
    }

    private static IOperation? Unwrap(IOperation? operation)
    {
        while (operation is IConversionOperation or IParenthesizedOperation)
        {
            operation = operation.Parent;
        }

        return operation;
    }

    private static IOperation Root(IOperation operation)
    {
        while (operation.Parent is not null)
        {
            operation = operation.Parent;
        }

        return operation;
    }

    private static bool IsModel(INamedTypeSymbol type)
    {
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == KnownNames.ModelAttribute)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDisposable(ITypeSymbol type)
    {
        foreach (INamedTypeSymbol implemented in type.AllInterfaces)
        {
            if (implemented.SpecialType == SpecialType.System_IDisposable)
            {
                return true;
            }
        }

        return false;
    }
}
