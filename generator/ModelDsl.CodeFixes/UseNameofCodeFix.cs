using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelDsl.CodeFixes;

/// <summary>MDSL0016: replaces a member name written as a string (<c>From = "Source"</c>) with <c>nameof(Source)</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseNameofCodeFix)), Shared]
public sealed class UseNameofCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.MemberNameAsString);

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
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not LiteralExpressionSyntax literal
                || !literal.IsKind(SyntaxKind.StringLiteralExpression)
                || !SyntaxFacts.IsValidIdentifier(literal.Token.ValueText))
            {
                continue;
            }

            string name = literal.Token.ValueText;
            ExpressionSyntax nameofCall = SyntaxFactory.ParseExpression($"nameof({name})").WithTriviaFrom(literal);
            context.RegisterCodeFix(
                CodeAction.Create($"Use nameof({name})",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(literal, nameofCall))),
                    equivalenceKey: "UseNameof"),
                diagnostic);
        }
    }
}
