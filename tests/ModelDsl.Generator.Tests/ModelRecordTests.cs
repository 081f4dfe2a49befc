using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Tests;

/// <summary>Pipeline models are plain equatable data: no symbols, syntax, locations or compilations (they would defeat caching).</summary>
public sealed class ModelRecordTests
{
    private static readonly Type[] Forbidden = [typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree), typeof(AttributeData), typeof(SyntaxToken), typeof(SyntaxReference)];

    [Theory]
    [InlineData(typeof(ModelSpec))]
    [InlineData(typeof(ModelPlan))]
    [InlineData(typeof(EmitResult))]
    public void Pipeline_models_hold_no_roslyn_objects(Type root)
    {
        var seen = new HashSet<Type>();
        var problems = new List<string>();
        Walk(root, root.Name, seen, problems);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static void Walk(Type type, string path, HashSet<Type> seen, List<string> problems)
    {
        if (!seen.Add(type) || type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(DiagnosticDescriptor)
            || type == typeof(Microsoft.CodeAnalysis.Text.TextSpan) || type == typeof(Microsoft.CodeAnalysis.Text.LinePositionSpan))
        {
            return;
        }

        if (Forbidden.Any(forbidden => forbidden.IsAssignableFrom(type)))
        {
            problems.Add(path + " is " + type.Name);
            return;
        }

        if (type.IsGenericType)
        {
            foreach (Type argument in type.GetGenericArguments())
            {
                Walk(argument, path + "<" + argument.Name + ">", seen, problems);
            }

            if (type.GetGenericTypeDefinition() == typeof(EquatableArray<>))
            {
                return;
            }
        }

        if (type.Namespace?.StartsWith("ModelDsl.Generator", StringComparison.Ordinal) != true)
        {
            problems.Add(path + " has a type outside the generator's models: " + type.FullName);
            return;
        }

        // Structural equality: every model type implements IEquatable<itself>.
        if (!typeof(IEquatable<>).MakeGenericType(type).IsAssignableFrom(type))
        {
            problems.Add(path + " (" + type.Name + ") is not IEquatable<" + type.Name + ">");
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            Walk(field.FieldType, path + "." + field.Name, seen, problems);
        }
    }
}
