using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// <c>{Model}.PyTorch.g.cs</c>: the PyTorch export (docs/export.md): <c>PyTorchSource</c> (a self-contained Python module with the
/// model as an <c>nn.Module</c>), <c>PyTorchTrainingScript</c> (torchrun + DistributedDataParallel), <c>WritePyTorch(directory)</c>,
/// and <c>WriteBatches(path, batches)</c>, the batch file both read. A model with a layer that cannot be exported yet gets members
/// that throw <c>NotSupportedException</c> naming the layer and why (never a wrong file).
/// </summary>
internal sealed partial class ModelEmitter
{
    private const string Export = "global::ModelDsl.IO.PyTorchExport";

    private string EmitPyTorch() => File(
        writer =>
        {
            string name = PyTorchEmitter.ClassName(_plan);
            string? unsupported = PyTorchEmitter.Unsupported(_plan);
            if (unsupported is null)
            {
                writer.Line("/// <summary>");
                writer.Line("/// The model as a self-contained PyTorch module (<c>" + name + ".py</c>; docs/export.md): <c>class " + name + "(nn.Module)</c> whose");
                writer.Line("/// <c>state_dict</c> names and shapes are <see cref=\"ParameterTable\"/>'s, with the same masks, forward and loss");
                writer.Line("/// (<c>compute_loss</c>), <c>load_weights</c> / <c>save_weights</c> for ParameterFile's safetensors and <c>read_batches</c> for");
                writer.Line("/// <see cref=\"WriteBatches\"/>'s file. Needs only <c>torch</c> (1.13 or later).");
                writer.Line("/// </summary>");
                writer.Line("public const string PyTorchSource = \"# " + name + ": exported by ModelDsl; regenerate rather than edit.\\n\"");
                writer.Indent().Line("+ " + Export + ".Prelude + \"\"\"\"\n" + PyTorchEmitter.Module(_plan) + "\"\"\"\";").Unindent();
                writer.Line();
                writer.Line("/// <summary>The training script written beside the module (<c>train_" + name + ".py</c>): torchrun + DistributedDataParallel.</summary>");
                writer.Line("public const string PyTorchTrainingScript = \"MODULE = " + Literals.String(name).Replace("\"", "\\\"") + "\\n\" + " + Export + ".TrainingScript;");
                writer.Line();
                writer.Line("/// <summary>Writes <c>" + name + ".py</c> (<see cref=\"PyTorchSource\"/>) and <c>train_" + name + ".py</c> into <paramref name=\"directory\"/>; returns the module's path.</summary>");
                writer.Line("/// <param name=\"directory\">The folder to write into (created if missing).</param>");
                writer.Line("public static string WritePyTorch(string directory) => " + Export + ".Write(directory, " + Literals.String(name) + ", PyTorchSource, PyTorchTrainingScript);");
            }
            else
            {
                string message = Literals.String(_plan.ClassName + " cannot be exported to PyTorch yet: " + unsupported + ".");
                writer.Line("/// <summary>Not available: " + Literals.Xml(unsupported) + " (throws <see cref=\"global::System.NotSupportedException\"/>).</summary>");
                writer.Line("public static string PyTorchSource => throw new global::System.NotSupportedException(" + message + ");");
                writer.Line();
                writer.Line("/// <summary>Not available: throws <see cref=\"global::System.NotSupportedException\"/> naming the layer that cannot be exported.</summary>");
                writer.Line("/// <param name=\"directory\">Unused.</param>");
                writer.Line("public static string WritePyTorch(string directory) => throw new global::System.NotSupportedException(" + message + ");");
            }

            writer.Line();
            WriteBatchesMethod(writer);
        },
        withRemarks: false);

    /// <summary><c>WriteBatches</c>: the batches' filled rows as a <c>ModelDsl.IO.BatchFile</c> (names as in the Batch).</summary>
    private void WriteBatchesMethod(SourceWriter writer)
    {
        string model = _plan.ClassName;
        writer.Line("/// <summary>");
        writer.Line("/// Writes <paramref name=\"batches\"/> (their <c>Count</c> rows each) to a batch file for the exported module's <c>read_batches</c>");
        writer.Line("/// and the training script (format: <see cref=\"global::ModelDsl.IO.BatchFile\"/>, docs/export.md).");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"path\">The file to write (atomically).</param>");
        writer.Line("/// <param name=\"batches\">The batches, each with at least one row.</param>");
        writer.Open("public static void WriteBatches(string path, params Batch[] batches)");
        writer.Line("global::System.ArgumentNullException.ThrowIfNull(batches);");
        writer.Line("var file = new global::ModelDsl.IO.BatchFile(" + Literals.String(model) + ");");
        writer.Open("for (int index = 0; index < batches.Length; index++)");
        writer.Line("Batch batch = batches[index] ?? throw new global::System.ArgumentException($\"" + model + ".WriteBatches: batch {index} is null.\", nameof(batches));");
        writer.Line("batch.__Validate();");
        writer.Line("int B = batch.Count;");
        writer.Open("if (B == 0)");
        writer.Line("throw new global::System.ArgumentException($\"" + model + ".WriteBatches: batch {index} is empty; fill its rows and set Count.\", nameof(batches));");
        writer.Close();
        writer.Line();
        writer.Line("file.BeginBatch();");
        foreach (InputPlan input in _plan.Inputs)
        {
            string name = input.Name;
            string field = "batch." + Identifiers.Escape(name);
            string max = Literals.Int(input.MaxLength);
            string f = Literals.Int(input.Features);
            if (input.MaxLength > 0)
            {
                writer.Line("__CheckLengths(batch." + name + "Lengths, B, " + max + ", index, " + Literals.String(name) + ");");
            }

            if (input.Tokens)
            {
                writer.Line("file.AddInts(" + Literals.String(name) + ", [B, " + max + "], " + TrainingEmitter.Span(field, "B * " + max) + ");");
            }
            else if (input.MaxLength > 0)
            {
                writer.Line("file.AddFloats(" + Literals.String(name) + ", [B, " + max + ", " + f + "], " + TrainingEmitter.Span(field, "B * " + max + " * " + f) + ");");
            }
            else
            {
                writer.Line("file.AddFloats(" + Literals.String(name) + ", [B, " + f + "], " + TrainingEmitter.Span(field, "B * " + f) + ");");
            }

            if (input.MaxLength > 0)
            {
                writer.Line("file.AddInts(" + Literals.String(name + "Lengths") + ", [B], " + TrainingEmitter.Span("batch." + name + "Lengths", "B") + ");");
            }

            if (input.NeedsAdjacency && input.MaxLength > 0)
            {
                writer.Line("file.AddBools(" + Literals.String(name + "Adjacency") + ", [B, " + max + ", " + max + "], "
                    + TrainingEmitter.Span("batch." + name + "Adjacency", "B * " + max + " * " + max) + ");");
            }
        }

        foreach (TargetPlan target in _plan.Losses)
        {
            string rows = target.PerPosition ? "[B, " + Literals.Int(target.MaxLength) + "]" : "[B]";
            string perRow = target.PerPosition ? "B * " + Literals.Int(target.MaxLength) : "B";
            string member = target.BatchMember;
            if (target.HasLabels)
            {
                writer.Line("file.AddInts(" + Literals.String(member) + ", " + rows + ", " + TrainingEmitter.Span("batch." + member, perRow) + ");");
            }
            else
            {
                string w = Literals.Int(target.Width);
                string shape = target.PerPosition ? "[B, " + Literals.Int(target.MaxLength) + ", " + w + "]" : "[B, " + w + "]";
                writer.Line("file.AddFloats(" + Literals.String(member) + ", " + shape + ", " + TrainingEmitter.Span("batch." + member, perRow + " * " + w) + ");");
            }
        }

        writer.Close();
        writer.Line();
        writer.Line("file.Save(path);");
        writer.Close();
        writer.Line();
        writer.Open("private static void __CheckLengths(int[] lengths, int rows, int max, int index, string input)");
        writer.Open("for (int row = 0; row < rows; row++)");
        writer.Open("if (lengths[row] < 1 || lengths[row] > max)");
        writer.Line("throw new global::System.ArgumentException($\"" + model + ".WriteBatches: batch {index}, row {row}: {input} has length {lengths[row]}, not 1 to {max}.\", \"batches\");");
        writer.Close();
        writer.Close();
        writer.Close();
    }
}
