using System;
using System.Collections.Generic;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// The model diagram, <c>{Model}.Diagram.g.cs</c>: <c>Mermaid()</c> (a flowchart that renders on GitHub inside a
/// <c>```mermaid</c> block) and <c>Dot()</c> (Graphviz). One node per layer (name, attribute, output shape, parameter
/// count; inputs rounded, the loss a hexagon), a solid edge from each layer's source (the previous member or
/// <c>From</c>), a dotted <c>memory</c> edge for cross-attention's <c>Memory</c> and a dotted <c>tied</c> edge from the
/// embedding a tied head shares its weight with. Both texts are constants: the diagram is the declaration's, not a run's.
/// </summary>
internal sealed partial class ModelEmitter
{
    /// <summary>The loss node's id: names starting with <c>__</c> are reserved, so no layer has it.</summary>
    private const string LossNode = "__loss";

    /// <summary>Words Mermaid's flowchart parser treats specially when they stand as a node id.</summary>
    private static readonly HashSet<string> MermaidKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "end", "graph", "flowchart", "subgraph", "direction", "style", "class", "classDef", "click", "linkStyle", "default", "call", "href",
    };

    private string EmitDiagram() => File(
        writer =>
        {
            writer.Line("/// <summary>");
            writer.Line("/// The declared layers as a Mermaid flowchart: one node per layer (output shape, parameters), an arrow from each");
            writer.Line("/// layer's source, dotted arrows for <c>Memory</c> (cross-attention) and tied weights. Paste it into a");
            writer.Line("/// <c>```mermaid</c> block of a Markdown file to see it rendered (GitHub, GitLab, many editors).");
            writer.Line("/// </summary>");
            writer.Line("public static string Mermaid() => __mermaid;");
            writer.Line();
            writer.Line("/// <summary>The same diagram as <see cref=\"Mermaid\"/> in Graphviz DOT (<c>dot -Tsvg model.dot -o model.svg</c>).</summary>");
            writer.Line("public static string Dot() => __dot;");
            writer.Line();
            WriteConstant(writer, "__mermaid", MermaidLines());
            writer.Line();
            WriteConstant(writer, "__dot", DotLines());
        },
        withRemarks: false);

    private static void WriteConstant(SourceWriter writer, string name, List<string> lines)
    {
        writer.Line("private const string " + name + " =");
        writer.Indent();
        for (int i = 0; i < lines.Count; i++)
        {
            writer.Line(Literals.String(lines[i] + "\n") + (i == lines.Count - 1 ? ";" : " +"));
        }

        writer.Unindent();
    }

    private List<string> MermaidLines()
    {
        var lines = new List<string> { "flowchart TD" };
        for (int i = 0; i < _plan.Layers.Count; i++)
        {
            LayerPlan layer = _plan.Layers[i];
            string label = "\"" + LayerLabel(layer, "<br/>") + "\"";
            lines.Add("    " + MermaidId(i) + (layer.Descriptor.IsInput ? "([" + label + "])" : "[" + label + "]"));
        }

        if (_plan.Target is { } target)
        {
            lines.Add("    " + LossNode + "{{\"" + Parsing.KnownNames.AttributeName(target.Kind) + "\"}}");
        }

        foreach (DiagramEdge edge in Edges())
        {
            string from = edge.From < 0 ? LossNode : MermaidId(edge.From), to = edge.To < 0 ? LossNode : MermaidId(edge.To);
            lines.Add("    " + from + (edge.Label is null ? " --> " : " -. " + edge.Label + " .-> ") + to);
        }

        return lines;
    }

    private List<string> DotLines()
    {
        var lines = new List<string>
        {
            "digraph \"" + _plan.ClassName + "\" {",
            "    rankdir=TB;",
            "    node [shape=box, style=rounded, fontname=\"Helvetica\"];",
            "    edge [fontname=\"Helvetica\", fontsize=10];",
        };
        for (int i = 0; i < _plan.Layers.Count; i++)
        {
            LayerPlan layer = _plan.Layers[i];
            lines.Add("    \"" + layer.Name + "\" [label=\"" + LayerLabel(layer, "\\n") + "\"" + (layer.Descriptor.IsInput ? ", shape=ellipse" : string.Empty) + "];");
        }

        if (_plan.Target is { } target)
        {
            lines.Add("    \"" + LossNode + "\" [label=\"" + Parsing.KnownNames.AttributeName(target.Kind) + "\", shape=hexagon];");
        }

        foreach (DiagramEdge edge in Edges())
        {
            string from = edge.From < 0 ? LossNode : _plan.Layers[edge.From].Name, to = edge.To < 0 ? LossNode : _plan.Layers[edge.To].Name;
            lines.Add("    \"" + from + "\" -> \"" + to + "\"" + (edge.Label is null ? string.Empty : " [style=dashed, label=\"" + edge.Label + "\"]") + ";");
        }

        lines.Add("}");
        return lines;
    }

    /// <summary>"Encoder (TransformerEncoder)", the output shape and, when it has any, the parameter count.</summary>
    private static string LayerLabel(LayerPlan layer, string lineBreak) =>
        layer.Name + " (" + Parsing.KnownNames.AttributeName(layer.Kind) + ")" + lineBreak + layer.Output.Compact
        + (layer.ParameterCount > 0 ? lineBreak + Literals.Count(layer.ParameterCount) + " params" : string.Empty);

    /// <summary>Source edges in declaration order, then memory and tied edges, then head -> loss; index -1 is the loss node.</summary>
    private List<DiagramEdge> Edges()
    {
        var edges = new List<DiagramEdge>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _plan.Layers.Count; i++)
        {
            index[_plan.Layers[i].Name] = i;
        }

        for (int i = 0; i < _plan.Layers.Count; i++)
        {
            LayerOptions options = _plan.Layers[i].Options;
            if (options.Source is { } source && index.TryGetValue(source, out int from))
            {
                edges.Add(new DiagramEdge(from, i, null));
            }

            if (options.Memory is { } memory && index.TryGetValue(memory, out int memoryIndex))
            {
                edges.Add(new DiagramEdge(memoryIndex, i, "memory"));
            }

            if ((options as Layers.DenseOptions)?.TiedTo is { } tied && index.TryGetValue(tied, out int tiedIndex))
            {
                edges.Add(new DiagramEdge(tiedIndex, i, "tied"));
            }
        }

        if (_plan.Target is { } target && index.TryGetValue(target.Layer, out int head))
        {
            edges.Add(new DiagramEdge(head, -1, null));
        }

        return edges;
    }

    /// <summary>The layer's name when Mermaid reads it as a plain id (ASCII, not a keyword), otherwise <c>_</c> + its index.</summary>
    private string MermaidId(int layerIndex)
    {
        string name = _plan.Layers[layerIndex].Name;
        bool plain = name.Length > 0 && !MermaidKeywords.Contains(name);
        foreach (char c in name)
        {
            plain &= c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_';
        }

        return plain ? name : "_" + Literals.Int(layerIndex);
    }

    /// <summary>An arrow between two layers (index -1: the loss node), dotted with a label when <see cref="Label"/> is set.</summary>
    private sealed record DiagramEdge(int From, int To, string? Label);
}
