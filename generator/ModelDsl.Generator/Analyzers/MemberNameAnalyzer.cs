using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Analyzers;

/// <summary>
/// MDSL0016: a member name written as a string literal in a ModelDsl attribute (<c>From = "Source"</c>) where
/// <c>nameof(Source)</c> would do: a rename then misses it. Every string-typed argument of a ModelDsl attribute names
/// a member, so no list of arguments is kept here. Reported only when the string names a member of the class, so the
/// code fix always compiles; an unknown name is the generator's MDSL0007.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MemberNameAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.MemberNameAsString);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(AnalyzeArgument, SyntaxKind.AttributeArgument);
    }

    private static void AnalyzeArgument(SyntaxNodeAnalysisContext context)
    {
        var argument = (AttributeArgumentSyntax)context.Node;
        if (argument.Expression is not LiteralExpressionSyntax literal || !literal.IsKind(SyntaxKind.StringLiteralExpression)
            || argument.Parent?.Parent is not AttributeSyntax attribute
            || attribute.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } typeDeclaration)
        {
            return;
        }

        if (context.SemanticModel.GetSymbolInfo(attribute, context.CancellationToken).Symbol is not IMethodSymbol constructor
            || constructor.ContainingType.ContainingNamespace?.ToDisplayString() != KnownNames.Namespace)
        {
            return;
        }

        string name = literal.Token.ValueText;
        if (!SyntaxFacts.IsValidIdentifier(name)
            || context.SemanticModel.GetDeclaredSymbol(typeDeclaration, context.CancellationToken) is not { } type
            || type.GetMembers(name).IsEmpty)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.MemberNameAsString, literal.GetLocation(), name));
    }
}
