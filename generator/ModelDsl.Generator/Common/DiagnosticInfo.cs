using System;
using Microsoft.CodeAnalysis;

namespace ModelDsl.Generator.Common;

/// <summary>A diagnostic carried through the pipeline as data: descriptor id, location and message arguments.</summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<StringValue> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object?[] arguments)
    {
        var values = new StringValue[arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            values[i] = new StringValue(Convert.ToString(arguments[i], System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty);
        }

        return new DiagnosticInfo(descriptor, location, values.ToEquatableArray());
    }

    public Diagnostic ToDiagnostic()
    {
        object[] args = new object[Arguments.Count];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = Arguments[i].Value;
        }

        return Diagnostic.Create(Descriptor, Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, args);
    }

    public bool IsError => Descriptor.DefaultSeverity == DiagnosticSeverity.Error;
}

/// <summary>A string wrapper usable in <see cref="EquatableArray{T}"/>.</summary>
internal readonly record struct StringValue(string Value)
{
    public override string ToString() => Value;
}
