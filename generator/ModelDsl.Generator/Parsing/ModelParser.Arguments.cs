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
                continue;
            }

            // A named argument sets the property after the constructor ran ([MultiHeadAttention(4, Heads = 6)] has 6
            // heads at run time), so it replaces a constructor argument of the same name.
            for (int i = result.Count - 1; i >= 0; i--)
            {
                if (result[i].Name == spec.Name)
                {
                    result.RemoveAt(i);
                }
            }

            result.Add(spec);
        }

        return result.ToEquatableArray();
    }

    /// <summary>
    /// One rule for every enum-typed argument: its value must be a declared member, or for a [Flags] enum a combination
    /// of declared flags. A cast such as <c>(Activation)99</c> gets MDSL1008 at the argument and the attribute counts as
    /// broken, so no later rule reports the same value again. Returns whether anything was reported.
    /// </summary>
    private static bool ReportUndefinedEnums(string member, EquatableArray<ArgumentSpec> arguments, AttributeData attribute, ImmutableArray<DiagnosticInfo>.Builder diagnostics)
    {
        bool reported = false;
        foreach (ArgumentSpec argument in arguments)
        {
            if (EnumTypeOf(attribute, argument.Name) is not { } type)
            {
                continue;
            }

            var names = new List<string>();
            long all = 0;
            bool defined = false;
            foreach (ISymbol field in type.GetMembers())
            {
                if (field is IFieldSymbol { HasConstantValue: true, ConstantValue: { } value })
                {
                    long number = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
                    names.Add(field.Name);
                    all |= number;
                    defined |= number == argument.Int;
                }
            }

            bool flags = type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.FlagsAttribute");
            if (flags ? (argument.Int & ~all) == 0 : defined)
            {
                continue;
            }

            string rule = flags
                ? "a combination of the " + type.Name + " flags (" + string.Join(", ", names) + ")"
                : "one of the " + type.Name + " values (" + string.Join(", ", names) + ")";
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, argument.Location, member, argument.Name, argument.Int, rule));
            reported = true;
        }

        return reported;
    }

    // The enum type of the constructor parameter or property the argument sets, or null.
    private static INamedTypeSymbol? EnumTypeOf(AttributeData attribute, string name)
    {
        foreach (IParameterSymbol parameter in attribute.AttributeConstructor?.Parameters ?? ImmutableArray<IParameterSymbol>.Empty)
        {
            if (Pascal(parameter.Name) == name && parameter.Type is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType)
            {
                return enumType;
            }
        }

        for (INamedTypeSymbol? type = attribute.AttributeClass; type is not null; type = type.BaseType)
        {
            foreach (ISymbol member in type.GetMembers(name))
            {
                if (member is IPropertySymbol { Type: INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType })
                {
                    return enumType;
                }
            }
        }

        return null;
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
