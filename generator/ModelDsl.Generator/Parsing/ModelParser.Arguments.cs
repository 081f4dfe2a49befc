using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Diagnostics;

namespace ModelDsl.Generator.Parsing;

/// <summary>Attribute arguments as constants: positional (named after the constructor's parameters) and named, each with the name the user wrote.</summary>
internal static partial class ModelParser
{
    private static bool IsBroken(AttributeData attribute) =>
        attribute.AttributeClass is null || attribute.AttributeClass.TypeKind == TypeKind.Error || attribute.AttributeConstructor is null
        || attribute.ConstructorArguments.Any(argument => argument.Kind == TypedConstantKind.Error)
        || attribute.NamedArguments.Any(argument => argument.Value.Kind == TypedConstantKind.Error);

    private static EquatableArray<ArgumentSpec> ReadArguments(AttributeData attribute, ref bool broken, CancellationToken cancellationToken)
    {
        if (IsBroken(attribute))
        {
            broken = true;
            return EquatableArray<ArgumentSpec>.Empty;
        }

        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var positional = new List<AttributeArgumentSyntax>();
        if (syntax?.ArgumentList is { } list)
        {
            foreach (AttributeArgumentSyntax argument in list.Arguments)
            {
                if (argument.NameEquals is null)
                {
                    positional.Add(argument);
                }
            }
        }

        var result = ImmutableArray.CreateBuilder<ArgumentSpec>();
        ImmutableArray<IParameterSymbol> parameters = attribute.AttributeConstructor!.Parameters;
        for (int i = 0; i < attribute.ConstructorArguments.Length && i < parameters.Length; i++)
        {
            string parameterName = parameters[i].Name;
            AttributeArgumentSyntax? argumentSyntax = positional.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == parameterName)
                ?? (i < positional.Count && positional[i].NameColon is null ? positional[i] : null);
            ArgumentSpec? spec = ToArgument(Pascal(parameterName), attribute.ConstructorArguments[i], argumentSyntax);
            if (spec is null)
            {
                broken = true;
            }
            else
            {
                result.Add(spec);
            }
        }

        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            ArgumentSpec? spec = ToArgument(named.Key, named.Value, FindNamedArgument(attribute, named.Key, cancellationToken));
            if (spec is null)
            {
                broken = true;
            }
            else
            {
                result.Add(spec);
            }
        }

        return result.ToEquatableArray();
    }

    private static AttributeArgumentSyntax? FindNamedArgument(AttributeData attribute, string name, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax { ArgumentList: { } list })
        {
            foreach (AttributeArgumentSyntax argument in list.Arguments)
            {
                if (argument.NameEquals?.Name.Identifier.ValueText == name)
                {
                    return argument;
                }
            }
        }

        return null;
    }

    private static ArgumentSpec? ToArgument(string name, TypedConstant constant, AttributeArgumentSyntax? syntax)
    {
        LocationInfo? location = LocationInfo.From(syntax);
        string? symbol = syntax?.Expression switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            MemberAccessExpressionSyntax access => access.ToString(),
            _ => null,
        };

        if (constant.Kind == TypedConstantKind.Enum)
        {
            return new ArgumentSpec(name, ArgumentKind.Int, Convert.ToInt64(constant.Value, System.Globalization.CultureInfo.InvariantCulture), 0, false, null, null, location);
        }

        return constant.Value switch
        {
            int value => new ArgumentSpec(name, ArgumentKind.Int, value, 0, false, null, symbol, location),
            float value => new ArgumentSpec(name, ArgumentKind.Float, 0, value, false, null, symbol, location),
            bool value => new ArgumentSpec(name, ArgumentKind.Bool, 0, 0, value, null, null, location),
            string value => new ArgumentSpec(name, ArgumentKind.String, 0, 0, false, value, null, location),
            null when constant.Kind == TypedConstantKind.Primitive => new ArgumentSpec(name, ArgumentKind.String, 0, 0, false, null, null, location),
            _ => null,
        };
    }

    private static string Pascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);
}
