using System.Linq;
using Microsoft.CodeAnalysis.CSharp;

namespace ModelDsl.Generator.Emit;

/// <summary>Identifiers as they must be written in C#: reserved keywords get '@' (a member named <c>@class</c>).</summary>
internal static class Identifiers
{
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    public static string EscapeNamespace(string name) => string.Join(".", name.Split('.').Select(Escape));
}
