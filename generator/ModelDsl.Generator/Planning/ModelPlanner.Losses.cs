using System.Collections.Generic;
using Microsoft.CodeAnalysis.CSharp;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>
/// The losses: every loss attribute on every head (a model may carry several heads, each with one or more losses), each planned by its
/// descriptor, named, weighed, and one of them primary. See docs/dsl.md, "Several heads and losses".
/// </summary>
internal sealed partial class ModelPlanner
{
    private readonly List<TargetPlan> _plannedLosses = [];

    /// <summary>Plans every loss into <see cref="_plannedLosses"/> and returns the primary one (null when there is none or one failed).</summary>
    private TargetPlan? PlanLoss()
    {
        int last = _spec.Layers.Count - 1;
        if (last < 0)
        {
            return null;
        }

        int lastHead = -1, count = 0;
        for (int i = 0; i <= last; i++)
        {
            if (_spec.Layers[i].Losses.Count > 0)
            {
                lastHead = i;
                count += _spec.Layers[i].Losses.Count;
            }
        }

        if (lastHead < 0)
        {
            LayerSpec tail = _spec.Layers[last];
            if (LayerRegistry.Find(tail.Kind) is not null && _outputs[last] is not null && !HasErrors())
            {
                Report(DiagnosticDescriptors.MissingLoss, _spec.ClassLocation, _spec.ClassName, tail.Name);
            }

            return null;
        }

        // Data flows forward only: a layer declared after the last loss head can feed no loss, so it would never train.
        for (int i = lastHead + 1; i <= last; i++)
        {
            LayerSpec layer = _spec.Layers[i];
            if (LayerRegistry.Find(layer.Kind) is not { IsInput: true })
            {
                Report(DiagnosticDescriptors.LayerAfterLastLoss, layer.AttributeLocation, layer.Name, _spec.Layers[lastHead].Name);
            }
        }

        bool failed = false;
        var names = new Dictionary<string, LossSpec>(System.StringComparer.Ordinal);
        var primaries = new List<(LossSpec Loss, string Name)>();
        for (int i = 0; i <= lastHead; i++)
        {
            LayerSpec head = _spec.Layers[i];
            foreach (LossSpec loss in head.Losses)
            {
                if (_outputs[i] is not { } output || Losses.LossRegistry.Find(loss.Kind) is not { } descriptor)
                {
                    failed = true; // the head itself failed (reported), or the parser recorded no known loss
                    continue;
                }

                var context = new Losses.LossContext(this, head, output, loss);
                float weight = context.Float("Weight", 1f);
                bool weightOk = context.CheckRange("Weight", weight, weight > 0f && !float.IsInfinity(weight), "a finite number > 0");
                string name = LossName(head, loss, descriptor);
                bool nameOk = CheckLossName(head, loss, name, count, names);
                if (descriptor.Plan(context) is not { } target || !weightOk || !nameOk)
                {
                    failed = true;
                    continue;
                }

                if (context.Bool("Primary", false))
                {
                    primaries.Add((loss, name));
                }

                _plannedLosses.Add(target with { Name = name, Weight = weight, BatchPrefix = count > 1 ? name : string.Empty });
            }
        }

        if (primaries.Count > 1)
        {
            Report(DiagnosticDescriptors.SeveralPrimaryLosses, primaries[1].Loss.Argument("Primary")?.Location ?? primaries[1].Loss.Location, primaries[1].Name,
                primaries[0].Name);
            failed = true;
        }

        if (failed)
        {
            _plannedLosses.Clear();
            return null;
        }

        return Primary(primaries.Count == 1 ? primaries[0].Name : null);
    }

    /// <summary>The named primary loss; else the first classifier loss; else the first loss.</summary>
    private TargetPlan Primary(string? named)
    {
        foreach (TargetPlan loss in _plannedLosses)
        {
            if (named is not null ? loss.Name == named : loss.Descriptor.IsClassifier)
            {
                return loss;
            }
        }

        return _plannedLosses[0];
    }

    /// <summary>The loss's Name argument; else the head's name when it carries one loss; else the head's name + the kind without "Loss".</summary>
    private static string LossName(LayerSpec head, LossSpec loss, Losses.LossDescriptor descriptor)
    {
        if (loss.Argument("Name") is { Kind: ArgumentKind.String, Text: { } text })
        {
            return text;
        }

        if (head.Losses.Count == 1)
        {
            return head.Name;
        }

        string kind = descriptor.AttributeName;
        return head.Name + (kind.EndsWith("Loss", System.StringComparison.Ordinal) ? kind.Substring(0, kind.Length - 4) : kind);
    }

    /// <summary>
    /// MDSL1013 unless the name is an identifier, unique among the losses and (with several losses) its Batch members
    /// (<c>{Name}Labels</c>/<c>{Name}Targets</c> and their setters) clash with no input's.
    /// </summary>
    private bool CheckLossName(LayerSpec head, LossSpec loss, string name, int count, Dictionary<string, LossSpec> names)
    {
        Common.LocationInfo? location = loss.Argument("Name")?.Location ?? loss.Location;
        string? problem = null;
        if (!SyntaxFacts.IsValidIdentifier(name) || name.StartsWith("__", System.StringComparison.Ordinal))
        {
            problem = "'" + name + "' is not a C# identifier the Batch can use (letters, digits, '_', not starting with '__')";
        }
        else if (names.ContainsKey(name))
        {
            problem = "another loss is already named '" + name + "'; give one of them Name = \"...\"";
        }
        else if (count > 1)
        {
            foreach (LayerSpec member in _spec.Layers)
            {
                if (LayerRegistry.Find(member.Kind) is { IsInput: true }
                    && (member.Name == name + "Labels" || member.Name == name + "Targets" || member.Name + "Lengths" == name + "Labels"))
                {
                    problem = "its Batch member '" + name + "Labels' or '" + name + "Targets' would clash with input '" + member.Name + "'";
                }
            }
        }

        if (problem is not null)
        {
            Report(DiagnosticDescriptors.LossNameConflict, location, head.Name, problem);
            return false;
        }

        names[name] = loss;
        return true;
    }
}
