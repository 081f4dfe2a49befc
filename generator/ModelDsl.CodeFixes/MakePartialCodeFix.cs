using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelDsl.CodeFixes;

/// <summary>
/// MDSL0001: adds <c>partial</c> to the model class. MDSL0003: turns an auto-property layer into a get-only partial
/// property (adds <c>partial</c>, drops a setter and an initializer). A property with accessor bodies is left to the
/// user: removing code is not mechanical.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFix)), Shared]
public sealed class MakePartialCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticIds.ModelNotPartial, DiagnosticIds.UnsupportedMember);

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
            SyntaxNode node = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent!;
            if (diagnostic.Id == DiagnosticIds.ModelNotPartial && node.FirstAncestorOrSelf<ClassDeclarationSyntax>() is { } type
                && !type.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Make '{type.Identifier.ValueText}' partial", token => Replace(context.Document, root, type, AddPartial(type), token),
                        equivalenceKey: "MakeClassPartial"),
                    diagnostic);
            }
            else if (diagnostic.Id == DiagnosticIds.UnsupportedMember && node.FirstAncestorOrSelf<PropertyDeclarationSyntax>() is { } property
                && IsAutoPropertyWithoutPartial(property))
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Make '{property.Identifier.ValueText}' a get-only partial property",
                        token => Replace(context.Document, root, property, ToPartialGetter(property), token),
                        equivalenceKey: "MakeLayerPartial"),
                    diagnostic);
            }
        }
    }

    private static bool IsAutoPropertyWithoutPartial(PropertyDeclarationSyntax property) =>
        !property.Modifiers.Any(SyntaxKind.PartialKeyword)
        && property.ExpressionBody is null
        && property.AccessorList is { } accessors
        && accessors.Accessors.All(accessor => accessor.Body is null && accessor.ExpressionBody is null)
        && accessors.Accessors.Any(accessor => accessor.IsKind(SyntaxKind.GetAccessorDeclaration));

    private static ClassDeclarationSyntax AddPartial(ClassDeclarationSyntax type)
    {
        // 'partial' goes last, right before 'class'; the leading trivia (attributes' line breaks, comments) stays put.
        if (type.Modifiers.Count == 0)
        {
            SyntaxToken keyword = type.Keyword;
            return type.WithKeyword(keyword.WithLeadingTrivia(SyntaxFactory.Space))
                .WithModifiers(SyntaxFactory.TokenList(SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList())));
        }

        return type.WithModifiers(type.Modifiers.Add(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space)));
    }

    private static PropertyDeclarationSyntax ToPartialGetter(PropertyDeclarationSyntax property)
    {
        PropertyDeclarationSyntax result = property;
        if (property.Modifiers.Count == 0)
        {
            TypeSyntax type = property.Type;
            result = result.WithType(type.WithLeadingTrivia(SyntaxFactory.Space))
                .WithModifiers(SyntaxFactory.TokenList(SyntaxFactory.Token(type.GetLeadingTrivia(), SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList())));
        }
        else
        {
            result = result.WithModifiers(property.Modifiers.Add(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space)));
        }

        AccessorListSyntax accessors = result.AccessorList!;
        AccessorDeclarationSyntax getter = accessors.Accessors.First(accessor => accessor.IsKind(SyntaxKind.GetAccessorDeclaration));
        result = result.WithAccessorList(accessors.WithAccessors(SyntaxFactory.SingletonList(getter)));
        if (result.Initializer is not null)
        {
            result = result.WithInitializer(null).WithSemicolonToken(default)
                .WithAccessorList(result.AccessorList!.WithTrailingTrivia(property.SemicolonToken.TrailingTrivia));
        }

        return result;
    }

    private static Task<Document> Replace(Document document, SyntaxNode root, SyntaxNode oldNode, SyntaxNode newNode, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(oldNode, newNode)));
    }
}
