using System.Collections.Generic;
using System.Text;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// The PyTorch export of a model (docs/export.md): the model's part of the Python module (the runtime's
/// <c>ModelDsl.IO.PyTorchExport.Prelude</c> comes first), an <c>nn.Module</c> whose <c>__init__</c> and <c>forward</c> each layer's
/// descriptor writes (<c>LayerDescriptor.WritePyTorch</c>), and the loss.
/// </summary>
internal static class PyTorchEmitter
{
    private static readonly HashSet<string> PythonKeywords = new(System.StringComparer.Ordinal)
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
        "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
        "return", "try", "while", "with", "yield",
    };

    /// <summary>Null when the model can be exported; otherwise the first layer that cannot, and why.</summary>
    public static string? Unsupported(ModelPlan plan)
    {
        foreach (LayerPlan layer in plan.Layers)
        {
            if (layer.Descriptor.PyTorchUnsupported(layer) is { } reason)
            {
                return "layer " + layer.Name + ": " + reason;
            }

            if (PythonKeywords.Contains(layer.Path))
            {
                return "layer " + layer.Name + ": its state-dict name '" + layer.Path + "' is a Python keyword, so it cannot be a submodule's name";
            }
        }

        return null;
    }

    /// <summary>The Python class name: the C# class name without a verbatim <c>@</c>.</summary>
    public static string ClassName(ModelPlan plan) => plan.ClassName.Replace("@", string.Empty);

    /// <summary>The model's part of the module: the docstring, the <c>nn.Module</c>, <c>compute_loss</c> and <c>create_model</c>.</summary>
    public static string Module(ModelPlan plan)
    {
        var c = new PyTorchContext(plan);
        foreach (LayerPlan layer in plan.Layers)
        {
            layer.Descriptor.WritePyTorch(c, layer);
        }

        string name = ClassName(plan);
        var s = new StringBuilder();
        s.Append("\n\nclass ").Append(name).Append("(nn.Module):\n");
        s.Append("    \"\"\"").Append(plan.FullName.Replace("@", string.Empty)).Append(", exported by ModelDsl: its state_dict names and shapes are the model's\n");
        s.Append("    ParameterTable (and StateTable); forward(batch) takes a batch of read_batches() and returns the ");
        List<string> heads = Heads(plan);
        s.Append(heads.Count > 1
            ? "dict of the heads' outputs by name (" + string.Join(", ", heads) + ")"
            : (plan.Target!.Descriptor.IsClassifier ? "logits" : "predictions") + " of " + plan.Target!.Layer).Append(".\"\"\"\n\n");
        s.Append("    def __init__(self):\n        super().__init__()\n");
        foreach (string line in c.Init)
        {
            foreach (string piece in Wrap(line, MaxLine - 8))
            {
                s.Append("        ").Append(piece).Append('\n');
            }
        }

        s.Append("\n    def forward(self, batch):\n");
        foreach (InputPlan input in plan.Inputs)
        {
            if (input.MaxLength == 0)
            {
                continue;
            }

            string lengths = PyTorchContext.Lengths(input.Name);
            s.Append("        ").Append(lengths).Append(" = batch[\"").Append(input.Name).Append("Lengths\"]\n");
            s.Append("        ").Append(PyTorchContext.T(input.Name)).Append(" = int(").Append(lengths).Append(".max())\n");
            if (input.NeedsAdjacency)
            {
                string t = PyTorchContext.T(input.Name);
                s.Append("        ").Append(PyTorchContext.Adjacency(input.Name)).Append(" = batch[\"").Append(input.Name).Append("Adjacency\"][:, :")
                    .Append(t).Append(", :").Append(t).Append("]\n");
            }
        }

        foreach (string line in c.Forward)
        {
            foreach (string piece in Wrap(line, MaxLine - 8))
            {
                s.Append("        ").Append(piece).Append('\n');
            }
        }

        s.Append("        return ").Append(HeadOutputs(plan, heads)).Append("\n\n\n");
        WriteLoss(s, plan);
        s.Append("\n\ndef create_model():\n    return ").Append(name).Append("()\n");
        return s.ToString();
    }

    /// <summary>The longest Python line written when it can be broken (the C# file holding it allows 160 characters).</summary>
    private const int MaxLine = 150;

    /// <summary>
    /// Breaks a long forward line after the commas of its first call's argument list (Python continues a line inside parentheses),
    /// the continuation lines indented one level deeper.
    /// </summary>
    private static List<string> Wrap(string line, int width)
    {
        var lines = new List<string>();
        int open = line.IndexOf('(');
        if (line.Length <= width || open < 0)
        {
            lines.Add(line);
            return lines;
        }

        var current = new StringBuilder(line.Substring(0, open + 1));
        int depth = 0;
        int start = open + 1;
        for (int i = open + 1; i < line.Length; i++)
        {
            char ch = line[i];
            depth += ch is '(' or '[' ? 1 : ch is ')' or ']' ? -1 : 0;
            bool last = depth < 0 || i == line.Length - 1;
            if ((ch == ',' && depth == 0) || last)
            {
                string argument = line.Substring(start, i - start + (ch == ',' ? 1 : 0)).Trim();
                if (current.Length + argument.Length + 1 > width && current.ToString().Trim().Length > 0 && current[current.Length - 1] != '(')
                {
                    lines.Add(current.ToString().TrimEnd());
                    current.Clear().Append("    ");
                }

                current.Append(argument).Append(ch == ',' ? " " : string.Empty);
                start = i + 1;
                if (depth < 0)
                {
                    current.Append(line.Substring(i));
                    break;
                }
            }
        }

        lines.Add(current.ToString().TrimEnd());
        return lines;
    }

    /// <summary>
    /// <c>compute_loss(output, batch)</c>: the loss's body; with several (or weighed) losses one <c>loss_{name}</c> function each, called
    /// with its head's output and the batch whose <c>Labels</c>/<c>Targets</c> are the loss's own, and their weighted sum.
    /// </summary>
    private static void WriteLoss(StringBuilder s, ModelPlan plan)
    {
        if (!plan.WeighsLosses)
        {
            TargetPlan target = plan.Target!;
            s.Append("def compute_loss(output, batch):\n");
            target.Descriptor.WritePyTorch(s, target);
            return;
        }

        bool several = Heads(plan).Count > 1;
        var terms = new List<string>();
        foreach (TargetPlan loss in plan.Losses)
        {
            string function = "loss_" + Naming.SnakeCase(loss.Name);
            s.Append("def ").Append(function).Append("(output, batch):\n");
            loss.Descriptor.WritePyTorch(s, loss);
            s.Append("\n\n");
            string plain = loss.HasLabels ? "Labels" : "Targets";
            string batch = loss.BatchPrefix.Length == 0 ? "batch" : "{**batch, \"" + plain + "\": batch[\"" + loss.BatchMember + "\"]}";
            terms.Add(PyTorchContext.Float(loss.Weight) + " * " + function + "(" + (several ? "output[\"" + loss.Layer + "\"]" : "output") + ", " + batch + ")");
        }

        s.Append("def compute_loss(output, batch):\n");
        s.Append("    \"\"\"The objective: the sum of each loss times its weight.\"\"\"\n");
        s.Append("    return (\n        ").Append(string.Join("\n        + ", terms)).Append("\n    )\n");
    }

    /// <summary>The members carrying a loss, in declaration order.</summary>
    private static List<string> Heads(ModelPlan plan)
    {
        var heads = new List<string>();
        foreach (TargetPlan loss in plan.Losses)
        {
            if (!heads.Contains(loss.Layer))
            {
                heads.Add(loss.Layer);
            }
        }

        return heads;
    }

    /// <summary>What <c>forward</c> returns: the head's output, or a dict of every head's output by member name.</summary>
    private static string HeadOutputs(ModelPlan plan, List<string> heads)
    {
        var outputs = new List<string>();
        foreach (string head in heads)
        {
            foreach (LayerPlan layer in plan.Layers)
            {
                if (layer.Name == head)
                {
                    outputs.Add(heads.Count > 1 ? "\"" + head + "\": " + PyTorchContext.Out(layer) : PyTorchContext.Out(layer));
                }
            }
        }

        return heads.Count > 1 ? "{" + string.Join(", ", outputs) + "}" : outputs[0];
    }
}
