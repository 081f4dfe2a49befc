using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Losses;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// The generator's shape, read from its sources (docs/architecture.md): everything about a layer kind lives in its descriptor
/// under <c>Layers/</c>, and only <c>Layers/</c> (with the registry) may dispatch on a kind; likewise everything about a loss kind
/// lives in its descriptor under <c>Losses/</c>; no generator file grows past 500 lines.
/// </summary>
public sealed partial class ArchitectureTests
{
    private const int MaxLines = 500;

    [Fact]
    public void Every_layer_kind_has_one_descriptor_in_the_registry()
    {
        foreach (LayerDescriptor descriptor in LayerRegistry.All)
        {
            Assert.NotEqual(LayerKind.Unknown, descriptor.Kind);
            Assert.Equal(descriptor.Kind.Name, descriptor.AttributeName);
            Assert.Same(descriptor, LayerRegistry.Get(descriptor.Kind));
            Assert.Same(descriptor, LayerRegistry.FromAttribute(descriptor.AttributeClassName));
        }

        Assert.Null(LayerRegistry.Find(LayerKind.Unknown));
        Assert.Null(LayerRegistry.Find(new LayerKind("NoSuchLayer")));
        Assert.Equal(LayerRegistry.All.Count, LayerRegistry.All.Select(descriptor => descriptor.AttributeName).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Every_named_kind_is_in_the_registry()
    {
        LayerKind[] named =
        [
            .. typeof(LayerKind).GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(field => field.FieldType == typeof(LayerKind))
                .Select(field => (LayerKind)field.GetValue(null)!)
                .Where(kind => kind != LayerKind.Unknown),
        ];
        Assert.NotEmpty(named);
        Assert.All(named, kind => Assert.NotNull(LayerRegistry.Find(kind)));
    }

    [Fact]
    public void Only_Layers_dispatches_on_a_layer_kind()
    {
        string root = GeneratorRoot();
        string layers = Path.Combine(root, "Layers");
        string[] descriptors = [.. Directory.GetFiles(layers, "*.cs").Select(Path.GetFileNameWithoutExtension).OfType<string>()];
        var descriptorTest = new Regex(@"\b(is|as)\s+(not\s+)?(" + string.Join("|", descriptors) + @")\b|\b(" + string.Join("|", descriptors) + @")\.Instance\b");
        var offenders = new List<string>();
        foreach (string file in SourceFiles(root))
        {
            if (file.StartsWith(layers + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue;
            }

            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (KindDispatch().IsMatch(lines[i]) || descriptorTest.IsMatch(lines[i]))
                {
                    offenders.Add(Path.GetRelativePath(root, file) + ":" + (i + 1) + ": " + lines[i].Trim());
                }
            }
        }

        Assert.True(offenders.Count == 0, "Kind tests outside Layers/ (ask the layer's descriptor instead):\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Every_loss_kind_has_one_descriptor_in_the_registry()
    {
        Assert.NotEmpty(LossRegistry.All);
        foreach (LossDescriptor descriptor in LossRegistry.All)
        {
            Assert.NotEqual(LossKind.None, descriptor.Kind);
            Assert.Equal(descriptor.Kind.Name, descriptor.AttributeName);
            Assert.EndsWith("Loss", descriptor.AttributeName, StringComparison.Ordinal);
            Assert.Same(descriptor, LossRegistry.Get(descriptor.Kind));
            Assert.Same(descriptor, LossRegistry.FromAttribute(descriptor.AttributeClassName));
            Assert.Equal(descriptor.Kind, KnownNames.LossKindOf(descriptor.AttributeClassName));
        }

        Assert.Null(LossRegistry.Find(LossKind.None));
        Assert.Null(LossRegistry.FromAttribute("DenseAttribute"));
        Assert.Equal(LossKind.None, KnownNames.LossKindOf("NoSuchLossAttribute"));
    }

    [Fact]
    public void Every_loss_attribute_of_the_runtime_has_a_descriptor()
    {
        string[] attributes =
        [
            .. typeof(LossAttribute).Assembly.GetTypes()
                .Where(type => !type.IsAbstract && typeof(LossAttribute).IsAssignableFrom(type))
                .Select(type => type.Name)
                .Order(StringComparer.Ordinal),
        ];
        Assert.NotEmpty(attributes);
        Assert.Equal(attributes, LossRegistry.All.Select(descriptor => descriptor.AttributeClassName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Only_Losses_dispatches_on_a_loss_kind()
    {
        string root = GeneratorRoot();
        string losses = Path.Combine(root, "Losses");
        string[] descriptors = [.. Directory.GetFiles(losses, "*.cs").Select(Path.GetFileNameWithoutExtension).OfType<string>()];
        string names = string.Join("|", LossRegistry.All.Select(descriptor => descriptor.AttributeName));
        var descriptorTest = new Regex(@"\b(is|as)\s+(not\s+)?(" + string.Join("|", descriptors) + @")\b|\b(" + string.Join("|", descriptors) + @")\.Instance\b");
        var attributeName = new Regex("\"(" + names + ")(Attribute)?\"");
        var offenders = new List<string>();
        foreach (string file in SourceFiles(root))
        {
            if (file.StartsWith(losses + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue;
            }

            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (LossKindMember().IsMatch(lines[i]) || descriptorTest.IsMatch(lines[i]) || attributeName.IsMatch(lines[i]))
                {
                    offenders.Add(Path.GetRelativePath(root, file) + ":" + (i + 1) + ": " + lines[i].Trim());
                }
            }
        }

        Assert.True(offenders.Count == 0, "Loss-kind tests outside Losses/ (ask the loss's descriptor instead):\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void No_generator_file_is_longer_than_500_lines()
    {
        string root = GeneratorRoot();
        string[] tooLong =
        [
            .. SourceFiles(root)
                .Select(file => (File: Path.GetRelativePath(root, file), Lines: File.ReadAllLines(file).Length))
                .Where(entry => entry.Lines > MaxLines)
                .Select(entry => entry.File + " (" + entry.Lines + " lines)"),
        ];
        Assert.True(tooLong.Length == 0, "Split these files (at most " + MaxLines + " lines):\n" + string.Join("\n", tooLong));
    }

    /// <summary>A switch arm, case label, comparison or pattern naming a <c>LayerKind</c> member.</summary>
    [GeneratedRegex(@"case\s+LayerKind\.|LayerKind\.\w+\s*(=>|\bor\b|\band\b|==|!=)|(==|!=|\bis|\bis\s+not|\bor|\band|Kind:)\s*LayerKind\.")]
    private static partial Regex KindDispatch();

    /// <summary>A <c>LossKind</c> member other than <c>None</c> (the kinds are the descriptors' own, named only in <c>Losses/</c>).</summary>
    [GeneratedRegex(@"\bLossKind\.(?!None\b)\w+")]
    private static partial Regex LossKindMember();

    private static IEnumerable<string> SourceFiles(string root) =>
        Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                && !file.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .OrderBy(file => file, StringComparer.Ordinal);

    private static string GeneratorRoot([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "generator", "ModelDsl.Generator"));
}
