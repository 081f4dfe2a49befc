using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelDsl.CodeFixes;

/// <summary>MDSL0005: adds <c>MaxBatch = 32</c> to the <c>[Model]</c> attribute (the user then tunes the value).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddMaxBatchCodeFix)), Shared]
public sealed class AddMaxBatchCodeFix : CodeFixProvider
{
    /// <summary>The value written: the batch size most examples use.</summary>
    public const int DefaultMaxBatch = 32;

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.MissingMaxBatch);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<AttributeSyntax>() is not { } attribute)
            {
                continue;
            }

            AttributeSyntax fixedAttribute = attribute.WithArgumentList(WithMaxBatch(attribute.ArgumentList));
            context.RegisterCodeFix(
                CodeAction.Create($"Add MaxBatch = {DefaultMaxBatch}",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(attribute, fixedAttribute))),
                    equivalenceKey: "AddMaxBatch"),
                diagnostic);
        }
    }

    // (…, MaxBatch = 32): written token by token with the spacing a person would type.
    private static AttributeArgumentListSyntax WithMaxBatch(AttributeArgumentListSyntax? arguments)
    {
        AttributeArgumentSyntax maxBatch = SyntaxFactory.AttributeArgument(
            SyntaxFactory.NameEquals(
                SyntaxFactory.IdentifierName("MaxBatch"),
                SyntaxFactory.Token(SyntaxKind.EqualsToken).WithLeadingTrivia(SyntaxFactory.Space).WithTrailingTrivia(SyntaxFactory.Space)),
            null,
            SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(DefaultMaxBatch)));
        if (arguments is null)
        {
            return SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(maxBatch));
        }

        var nodes = new System.Collections.Generic.List<SyntaxNodeOrToken>();
        foreach (SyntaxNodeOrToken item in arguments.Arguments.GetWithSeparators())
        {
            nodes.Add(item);
        }

        if (nodes.Count > 0)
        {
            nodes.Add(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space));
        }

        nodes.Add(maxBatch);
        return arguments.WithArguments(SyntaxFactory.SeparatedList<AttributeArgumentSyntax>(nodes));
    }
}
