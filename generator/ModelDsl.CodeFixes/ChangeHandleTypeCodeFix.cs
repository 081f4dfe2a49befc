using System.Collections.Immutable;
using System.Composition;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelDsl.CodeFixes;

/// <summary>
/// MDSL0004: changes the layer property's type to the handle type its attribute needs, as the diagnostic names it
/// ("[Embedding] needs a property of type TokenEmbedding, not Dense"), so the rule lives only in the generator.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ChangeHandleTypeCodeFix)), Shared]
public sealed class ChangeHandleTypeCodeFix : CodeFixProvider
{
    private static readonly Regex s_needed = new(@"needs a property of type (?<type>[A-Za-z_][A-Za-z0-9_]*), not ", RegexOptions.CultureInvariant);

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.WrongHandleType);

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
            Match needed = s_needed.Match(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            if (!needed.Success
                || root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<PropertyDeclarationSyntax>() is not { } property)
            {
                continue;
            }

            string type = needed.Groups["type"].Value;
            TypeSyntax newType = SyntaxFactory.ParseTypeName(type).WithTriviaFrom(property.Type);
            context.RegisterCodeFix(
                CodeAction.Create($"Change the type of '{property.Identifier.ValueText}' to {type}",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(property.Type, newType))),
                    equivalenceKey: "ChangeHandleType:" + type),
                diagnostic);
        }
    }
}
