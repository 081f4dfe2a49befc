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

/// <summary>Reads a [Model] class into a <see cref="ModelSpec"/>: symbols and syntax stay here.</summary>
internal static partial class ModelParser
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>Parses one [Model] target; null when another declaration of the same class already carries the model.</summary>
    public static ModelSpec? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax node)
        {
            return null;
        }

        try
        {
            return ParseCore(context, type, node, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return Failed(type, node, exception);
        }
    }

    private static ModelSpec? ParseCore(GeneratorAttributeSyntaxContext context, INamedTypeSymbol type, TypeDeclarationSyntax node, CancellationToken cancellationToken)
    {
        // [Model] written on two partial declarations is a compiler error (CS0579); only the first one emits.
        if (!IsFirstModelDeclaration(type, node, cancellationToken))
        {
            return null;
        }

        var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();
        LocationInfo? classLocation = LocationInfo.From(node.Identifier.GetLocation());
        // A class without a name ("partial class {") is the compiler's error (CS1001); generated files could only add more.
        if (node.Identifier.IsMissing || type.Name.Length == 0)
        {
            return null;
        }

        bool canEmit = CheckClass(type, node, classLocation, diagnostics, out bool stubsOnly);

        // [Model(MaxBatch = ...)]
        AttributeData modelAttribute = context.Attributes[0];
        bool broken = IsBroken(modelAttribute);
        int maxBatch = 0;
        LocationInfo? maxBatchLocation = LocationInfo.From(modelAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
        bool hasMaxBatch = false;
        foreach (KeyValuePair<string, TypedConstant> named in modelAttribute.NamedArguments)
        {
            if (named.Key == "MaxBatch" && named.Value.Value is int value)
            {
                maxBatch = value;
                hasMaxBatch = true;
                maxBatchLocation = LocationInfo.From(FindNamedArgument(modelAttribute, "MaxBatch", cancellationToken)) ?? maxBatchLocation;
            }
        }

        if (!hasMaxBatch && !broken)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingMaxBatch, maxBatchLocation, type.Name));
        }

        var memberNames = new List<StringValue>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var layers = ImmutableArray.CreateBuilder<LayerSpec>();
        foreach (ISymbol member in OrderedMembers(type))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member.Name == type.Name || !seen.Add(member.Name) && member is not IMethodSymbol)
            {
                continue; // CS0542 (a member named like its class) or CS0102 (declared twice); the compiler reports it
            }

            memberNames.Add(new StringValue(member.Name));

            if (KnownNames.IsReserved(member.Name))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReservedName, LocationInfo.From(member.Locations.FirstOrDefault()), member.Name, type.Name));
            }
            else if (member is IMethodSymbol { MethodKind: MethodKind.Constructor, IsStatic: false, Parameters.Length: 1 } constructor && constructor.Parameters[0].Type.SpecialType == SpecialType.System_UInt64)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReservedName, LocationInfo.From(member.Locations.FirstOrDefault()), type.Name + "(ulong)", type.Name));
            }

            LayerSpec? layer = ParseMember(member, diagnostics, cancellationToken);
            if (layer is not null)
            {
                broken |= layer.Broken;
                layers.Add(layer);
            }
        }

        return new ModelSpec(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : string.Empty,
            type.Name,
            canEmit,
            maxBatch,
            maxBatchLocation,
            classLocation,
            broken || stubsOnly,
            memberNames.ToEquatableArray(),
            layers.ToEquatableArray(),
            diagnostics.ToEquatableArray());
    }

    private static ModelSpec Failed(INamedTypeSymbol type, TypeDeclarationSyntax node, Exception exception)
    {
        var diagnostic = DiagnosticInfo.Create(
            DiagnosticDescriptors.InternalError, LocationInfo.From(node.Identifier.GetLocation()), type.Name, exception.GetType().Name + ": " + exception.Message);
        return new ModelSpec(string.Empty, type.Name, false, 0, null, null, true, EquatableArray<StringValue>.Empty, EquatableArray<LayerSpec>.Empty, new[] { diagnostic }.ToEquatableArray());
    }

    private static bool IsFirstModelDeclaration(INamedTypeSymbol type, TypeDeclarationSyntax node, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration && HasModelAttribute(declaration))
            {
                return declaration == node;
            }
        }

        return true;
    }

    private static bool HasModelAttribute(TypeDeclarationSyntax declaration)
    {
        foreach (AttributeListSyntax list in declaration.AttributeLists)
        {
            foreach (AttributeSyntax attribute in list.Attributes)
            {
                string name = attribute.Name.ToString();
                if (name.EndsWith("Model", StringComparison.Ordinal) || name.EndsWith("ModelAttribute", StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool CheckClass(INamedTypeSymbol type, TypeDeclarationSyntax node, LocationInfo? location, ImmutableArray<DiagnosticInfo>.Builder diagnostics, out bool stubsOnly)
    {
        stubsOnly = false;
        string? problem = null;
        if (node is not ClassDeclarationSyntax || type.TypeKind != TypeKind.Class)
        {
            problem = type.IsRecord ? "a record" : "not a class";
        }
        else if (type.ContainingType is not null)
        {
            problem = "nested in '" + type.ContainingType.Name + "'";
        }
        else if (type.Arity > 0)
        {
            problem = "generic";
        }
        else if (type.IsStatic)
        {
            problem = "static";
        }
        else if (node.Modifiers.Any(SyntaxKind.FileKeyword))
        {
            problem = "file-local";
        }

        if (problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedModelClass, location, type.Name, problem));
            return false;
        }

        if (!node.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelNotPartial, location, type.Name));
            return false;
        }

        if (KnownNames.IsReserved(type.Name))
        {
            // A model named like a generated member (Batch, Trainer, ...): only the layer properties are implemented
            // (as stubs that throw), so MDSL0011 is the one error the user sees.
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReservedName, location, type.Name, "every model"));
            stubsOnly = true;
        }

        return true;
    }

    /// <summary>Members in declaration order: by file, then by position (partial classes may span files).</summary>
    private static IEnumerable<ISymbol> OrderedMembers(INamedTypeSymbol type) =>
        type.GetMembers()
            .Where(member => !member.IsImplicitlyDeclared && member.Locations.Length > 0 && member.Locations[0].IsInSource)
            .OrderBy(member => member.Locations[0].SourceTree?.FilePath ?? string.Empty, StringComparer.Ordinal)
            .ThenBy(member => member.Locations[0].SourceSpan.Start);

    private static LayerSpec? ParseMember(ISymbol member, ImmutableArray<DiagnosticInfo>.Builder diagnostics, CancellationToken cancellationToken)
    {
        AttributeData? layerAttribute = null;
        LayerKind kind = LayerKind.Unknown;
        var lossAttributes = new List<(AttributeData Attribute, LossKind Kind)>();
        foreach (AttributeData attribute in member.GetAttributes())
        {
            if (attribute.AttributeClass is not { } attributeClass || attributeClass.ContainingNamespace?.ToDisplayString() != KnownNames.Namespace)
            {
                continue; // not ours: other attributes are left alone
            }

            LayerKind? candidate = Layers.LayerRegistry.FromAttribute(attributeClass.Name)?.Kind;
            LossKind candidateLoss = KnownNames.LossKindOf(attributeClass.Name);
            if (candidate is { } known)
            {
                if (layerAttribute is null)
                {
                    layerAttribute = attribute;
                    kind = known;
                }
                else
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.MultipleLayerAttributes,
                        LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken)),
                        member.Name,
                        KnownNames.AttributeName(kind),
                        KnownNames.AttributeName(known)));
                }
            }
            else if (candidateLoss != LossKind.None)
            {
                lossAttributes.Add((attribute, candidateLoss)); // several losses on one head are allowed (different kinds)
            }
        }

        var property = member as IPropertySymbol;
        bool handleProperty = property is not null && property.IsPartialDefinition && Layers.LayerRegistry.IsHandleType(property.Type.OriginalDefinition.ToDisplayString());
        if (layerAttribute is null && lossAttributes.Count == 0 && !handleProperty)
        {
            return null;
        }

        LocationInfo? memberLocation = LocationInfo.From(member.Locations.FirstOrDefault());
        LocationInfo? attributeLocation = LocationInfo.From(layerAttribute?.ApplicationSyntaxReference?.GetSyntax(cancellationToken)) ?? memberLocation;
        bool broken = false;
        EquatableArray<ArgumentSpec> arguments = EquatableArray<ArgumentSpec>.Empty;
        if (layerAttribute is not null)
        {
            arguments = ReadArguments(layerAttribute, ref broken, cancellationToken);
            broken |= ReportUndefinedEnums(member.Name, arguments, layerAttribute, diagnostics);
        }

        var losses = new List<LossSpec>();
        foreach ((AttributeData lossAttribute, LossKind lossKind) in lossAttributes)
        {
            EquatableArray<ArgumentSpec> lossArguments = ReadArguments(lossAttribute, ref broken, cancellationToken);
            broken |= ReportUndefinedEnums(member.Name, lossArguments, lossAttribute, diagnostics);
            losses.Add(new LossSpec(lossKind, LocationInfo.From(lossAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken)), lossArguments));
        }

        LossSpec? loss = losses.Count > 0 ? losses[0] : null;

        // Can the generator write `partial T Name { get => ...; }` for this member?
        string? problem = null;
        string modifiers = string.Empty;
        string? propertyType = null;
        if (property is null)
        {
            problem = "a layer must be declared as a get-only partial property, not a " + KindName(member);
        }
        else
        {
            if (!property.IsPartialDefinition)
            {
                problem = "a layer must be declared as a get-only partial property: add 'partial' and remove any body";
            }
            else if (property.PartialImplementationPart is not null)
            {
                problem = "the generator implements layer properties; remove the implementation";
            }
            else if (property.IsStatic)
            {
                problem = "a layer property cannot be static";
            }
            else if (property.IsIndexer)
            {
                problem = "a layer cannot be an indexer";
            }
            else if (property.SetMethod is not null || property.GetMethod is null)
            {
                problem = "a layer property must have only a getter: use { get; }";
            }
            else if (property.RefKind != RefKind.None)
            {
                problem = "a layer property cannot return by reference";
            }
            else if (property.IsVirtual || property.IsAbstract || property.IsOverride || property.IsSealed || property.IsExtern || property.IsRequired)
            {
                problem = "a layer property cannot be virtual, abstract, override, sealed, extern or required";
            }
            else if (HasNewModifier(property, cancellationToken))
            {
                problem = "a layer property cannot hide an inherited member with 'new'";
            }

            modifiers = AccessibilityModifiers(property, cancellationToken);
            if (property.Type.TypeKind != TypeKind.Error && property.Type is not ITypeParameterSymbol)
            {
                propertyType = property.Type.ToDisplayString(TypeFormat);
            }
        }

        if (problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedMember, memberLocation, member.Name, problem));
        }
        else if (layerAttribute is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.UnsupportedMember,
                memberLocation,
                member.Name,
                lossAttributes.Count == 0 ? "a layer property needs a layer attribute such as [Dense(Units)]" : "a loss needs a layer attribute beside it"));
        }
        else if (property is not null && propertyType is not null && !broken)
        {
            string expected = Layers.LayerRegistry.Get(kind).HandleTypeFor(arguments);
            bool matches = property.Type.ToDisplayString() == KnownNames.Namespace + "." + expected && property.NullableAnnotation != NullableAnnotation.Annotated;
            if (!matches)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.WrongHandleType, memberLocation, member.Name, KnownNames.AttributeName(kind), expected, property.Type.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat.AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier))));
            }
        }

        return new LayerSpec(
            member.Name,
            kind,
            modifiers,
            propertyType,
            problem is null && propertyType is not null,
            memberLocation,
            attributeLocation,
            arguments,
            loss,
            broken)
        {
            Losses = losses.ToEquatableArray(),
        };
    }

    private static string KindName(ISymbol member) => member switch
    {
        IFieldSymbol => "field",
        IMethodSymbol => "method",
        IEventSymbol => "event",
        _ => member.Kind.ToString().ToLowerInvariant(),
    };

    private static bool HasNewModifier(IPropertySymbol property, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in property.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is PropertyDeclarationSyntax syntax && syntax.Modifiers.Any(SyntaxKind.NewKeyword))
            {
                return true;
            }
        }

        return false;
    }

    private static string AccessibilityModifiers(IPropertySymbol property, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in property.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is PropertyDeclarationSyntax syntax)
            {
                var words = new List<string>();
                foreach (SyntaxToken token in syntax.Modifiers)
                {
                    if (token.IsKind(SyntaxKind.PublicKeyword) || token.IsKind(SyntaxKind.PrivateKeyword)
                        || token.IsKind(SyntaxKind.ProtectedKeyword) || token.IsKind(SyntaxKind.InternalKeyword))
                    {
                        words.Add(token.ValueText);
                    }
                }

                return string.Join(" ", words);
            }
        }

        return string.Empty;
    }
}
