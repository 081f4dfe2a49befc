using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>The nested <c>Batch</c> type: buffers shaped exactly as the model's inputs and target, with checked setters.</summary>
internal sealed partial class ModelEmitter
{
    private string EmitBatch() => File(WriteBatch, withRemarks: false);

    private void WriteBatch(SourceWriter writer)
    {
        string model = _plan.ClassName;
        string maxBatch = Literals.Int(_plan.MaxBatch);
        writer.Line("/// <summary>");
        writer.Line("/// One batch for <see cref=\"" + Identifiers.Escape(model) + "\"/>: buffers shaped exactly as its inputs" + (_plan.Target is null ? string.Empty : " and target") + ", sized for");
        writer.Line("/// MaxBatch (" + maxBatch + ") rows. Fill rows with the <c>Set</c> methods (they check every value) and set <see cref=\"Count\"/>.");
        writer.Line("/// </summary>");
        writer.Line(GeneratedCode);
        writer.Open("public sealed class Batch : global::ModelDsl.Training.IBatchRows");
        writer.Line("private int __count;");
        foreach (InputPlan input in _plan.Inputs)
        {
            writer.Line();
            WriteInput(writer, input);
        }

        foreach (TargetPlan target in _plan.Losses)
        {
            writer.Line();
            WriteTarget(writer, target);
            if (target.PerPosition)
            {
                writer.Line();
                writer.Line("private readonly int[] " + LabelLengths(target) + " = new int[" + maxBatch + "];");
            }
        }

        if (_plan.Target is { BatchPrefix.Length: > 0 } primary)
        {
            // Several losses: the primary loss's buffer under the single-loss name too, so accuracy, IBatchRows and data helpers read it.
            string plain = primary.HasLabels ? "Labels" : "Targets";
            writer.Line();
            writer.Line("/// <summary>The primary loss's " + (primary.HasLabels ? "labels" : "targets") + ": the same array as <see cref=\"" + primary.BatchMember + "\"/>.</summary>");
            writer.Line("public " + (primary.HasLabels ? "int" : "float") + "[] " + plain + " => " + primary.BatchMember + ";");
        }

        writer.Line();
        writer.Line("/// <summary>Rows in use: the actual batch size, between 0 and MaxBatch (" + maxBatch + ").</summary>");
        writer.Open("public int Count");
        writer.Line("get => __count;");
        writer.Open("set");
        writer.Open("if ((uint)value > " + maxBatch + "u)");
        writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(value), value, $\"" + model + ".Batch: batch size {value} must be between 0 and MaxBatch (" + maxBatch + ").\");");
        writer.Close();
        writer.Line();
        writer.Line("__count = value;");
        writer.Close();
        writer.Close();
        writer.Line();
        writer.Line("/// <summary>Rows the buffers hold at most (the model's MaxBatch).</summary>");
        writer.Line("public int MaxBatch => " + maxBatch + ";");
        writer.Line();
        WriteClear(writer);
        writer.Line();
        WriteValidate(writer);
        writer.Line();
        WriteRows(writer);
        writer.Line();
        writer.Open("private static void __CheckRow(int row, string buffer)");
        writer.Open("if ((uint)row >= " + maxBatch + "u)");
        writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(row), row, $\"" + model + ".Batch.{buffer}: row {row} must be in [0, MaxBatch (" + maxBatch + ")).\");");
        writer.Close();
        writer.Close();
        writer.Close();
    }

    private void WriteInput(SourceWriter writer, InputPlan input)
    {
        string model = _plan.ClassName;
        string name = input.Name;
        string prefix = model + ".Batch." + name;
        long length = input.MaxLength;
        if (input.Tokens)
        {
            string max = Literals.Int(length);
            writer.Line("/// <summary>Token ids of <c>" + name + "</c>, <c>[MaxBatch, " + max + "]</c> row-major; positions past a row's length hold PadId " + Literals.Int(input.PadId) + ".</summary>");
            writer.Line("public int[] " + Identifiers.Escape(name) + " { get; } = new int[" + Literals.Int(_plan.MaxBatch * length) + "];");
            writer.Line();
            writer.Line("/// <summary>Length of each row of <c>" + name + "</c> (1 to " + max + ").</summary>");
            writer.Line("public int[] " + name + "Lengths { get; } = new int[" + Literals.Int(_plan.MaxBatch) + "];");
            writer.Line();
            writer.Line("/// <summary>Sets row <paramref name=\"row\"/> of <c>" + name + "</c> to <paramref name=\"ids\"/> (1 to " + max + " ids" + (input.Vocab > 0 ? ", each in [0, " + Literals.Int(input.Vocab) + ")" : string.Empty) + ") and pads the rest.</summary>");
            writer.Line("/// <param name=\"row\">Row in [0, MaxBatch).</param>");
            writer.Line("/// <param name=\"ids\">The row's token ids.</param>");
            writer.Open("public void Set" + name + "(int row, global::System.ReadOnlySpan<int> ids)");
            writer.Line("__CheckRow(row, " + Literals.String(name) + ");");
            writer.Open("if (ids.Length < 1 || ids.Length > " + max + ")");
            writer.Line("throw new global::System.ArgumentException($\"" + prefix + ": sequence length {ids.Length} must be between 1 and the maximum length " + input.MaxLengthDisplay + ".\", nameof(ids));");
            writer.Close();
            if (input.Vocab > 0)
            {
                writer.Line();
                writer.Open("for (int i = 0; i < ids.Length; i++)");
                writer.Open("if ((uint)ids[i] >= " + Literals.Int(input.Vocab) + "u)");
                writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(ids), ids[i], $\"" + prefix + ": token id {ids[i]} at row {row}, position {i} must be in [0, " + input.VocabDisplay + ").\");");
                writer.Close();
                writer.Close();
            }

            writer.Line();
            writer.Line("global::System.Span<int> destination = global::System.MemoryExtensions.AsSpan(" + Identifiers.Escape(name) + ", row * " + max + ", " + max + ");");
            writer.Line("ids.CopyTo(destination);");
            writer.Line("destination.Slice(ids.Length).Fill(" + Literals.Int(input.PadId) + ");");
            writer.Line(name + "Lengths[row] = ids.Length;");
            writer.Close();
        }
        else if (input.Image.Count == 3)
        {
            WriteImageInput(writer, input);
        }
        else
        {
            string features = Literals.Int(input.Features);
            bool sequence = length > 0;
            long rowLength = sequence ? length * input.Features : input.Features;
            writer.Line("/// <summary>Features of <c>" + name + "</c>, <c>[MaxBatch, " + (sequence ? Literals.Int(length) + ", " : string.Empty) + features + "]</c> row-major.</summary>");
            writer.Line("public float[] " + Identifiers.Escape(name) + " { get; } = new float[" + Literals.Int(_plan.MaxBatch * rowLength) + "];");
            if (sequence)
            {
                writer.Line();
                writer.Line("/// <summary>Length of each row of <c>" + name + "</c> in positions (1 to " + Literals.Int(length) + ").</summary>");
                writer.Line("public int[] " + name + "Lengths { get; } = new int[" + Literals.Int(_plan.MaxBatch) + "];");
            }

            writer.Line();
            writer.Line("/// <summary>Sets row <paramref name=\"row\"/> of <c>" + name + "</c>" + (sequence ? " (positions × " + features + " values, 1 to " + Literals.Int(length) + " positions; the rest is zeroed)" : " (exactly " + features + " values)") + ".</summary>");
            writer.Line("/// <param name=\"row\">Row in [0, MaxBatch).</param>");
            writer.Line("/// <param name=\"values\">The row's values.</param>");
            writer.Open("public void Set" + name + "(int row, global::System.ReadOnlySpan<float> values)");
            writer.Line("__CheckRow(row, " + Literals.String(name) + ");");
            if (sequence)
            {
                writer.Open("if (values.Length == 0 || values.Length % " + features + " != 0 || values.Length > " + Literals.Int(rowLength) + ")");
                writer.Line("throw new global::System.ArgumentException($\"" + prefix + ": {values.Length} values must be a whole number of " + features + "-wide positions, 1 to " + input.MaxLengthDisplay + " of them.\", nameof(values));");
                writer.Close();
            }
            else
            {
                writer.Open("if (values.Length != " + features + ")");
                writer.Line("throw new global::System.ArgumentException($\"" + prefix + ": expected " + features + " features, got {values.Length}.\", nameof(values));");
                writer.Close();
            }

            writer.Line();
            WriteFiniteCheck(writer, prefix, sequence ? input.Features : 0);
            writer.Line();
            writer.Line("global::System.Span<float> destination = global::System.MemoryExtensions.AsSpan(" + Identifiers.Escape(name) + ", row * " + Literals.Int(rowLength) + ", " + Literals.Int(rowLength) + ");");
            writer.Line("values.CopyTo(destination);");
            writer.Line("destination.Slice(values.Length).Clear();");
            if (sequence)
            {
                writer.Line(name + "Lengths[row] = values.Length / " + features + ";");
            }

            writer.Close();
        }

        if (input.NeedsAdjacency && length > 0)
        {
            string max = Literals.Int(length);
            writer.Line();
            writer.Line("/// <summary>Graph adjacency of <c>" + name + "</c>, <c>[MaxBatch, " + max + ", " + max + "]</c>: <c>true</c> when query i may attend to key j.</summary>");
            writer.Line("public bool[] " + name + "Adjacency { get; } = new bool[" + Literals.Int(_plan.MaxBatch * length * length) + "];");
            writer.Line();
            writer.Line("/// <summary>Allows or forbids query <paramref name=\"query\"/> of row <paramref name=\"row\"/> to attend to key <paramref name=\"key\"/>.</summary>");
            writer.Line("/// <param name=\"row\">Row in [0, MaxBatch).</param>");
            writer.Line("/// <param name=\"query\">Query position.</param>");
            writer.Line("/// <param name=\"key\">Key position.</param>");
            writer.Line("/// <param name=\"allowed\">Whether the query may attend to the key.</param>");
            writer.Open("public void Set" + name + "Edge(int row, int query, int key, bool allowed)");
            writer.Line("__CheckRow(row, " + Literals.String(name + "Adjacency") + ");");
            writer.Open("if ((uint)query >= " + max + "u || (uint)key >= " + max + "u)");
            writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(query), $\"" + prefix + "Adjacency: edge ({query}, {key}) must have both positions in [0, " + input.MaxLengthDisplay + ").\");");
            writer.Close();
            writer.Line();
            writer.Line(name + "Adjacency[(((row * " + max + ") + query) * " + max + ") + key] = allowed;");
            writer.Close();
        }
    }

    // An image [C, H, W] per row, stored flat in NCHW order; a NaN or infinite pixel is refused with its channel, y and x.
    private void WriteImageInput(SourceWriter writer, InputPlan input)
    {
        string name = input.Name;
        string c = Literals.Int(input.Image[0]), h = Literals.Int(input.Image[1]), w = Literals.Int(input.Image[2]), features = Literals.Int(input.Features);
        writer.Line("/// <summary>Images of <c>" + name + "</c>, <c>[MaxBatch, " + c + ", " + h + ", " + w + "]</c> row-major (NCHW, as PyTorch).</summary>");
        writer.Line("public float[] " + Identifiers.Escape(name) + " { get; } = new float[" + Literals.Int(_plan.MaxBatch * input.Features) + "];");
        writer.Line();
        writer.Line("/// <summary>Sets image <paramref name=\"row\"/> of <c>" + name + "</c>: exactly " + features + " values, <c>[" + c + ", " + h + ", " + w + "]</c> channel by channel, row by row.</summary>");
        writer.Line("/// <param name=\"row\">Row in [0, MaxBatch).</param>");
        writer.Line("/// <param name=\"values\">The image's values, each finite.</param>");
        writer.Open("public void Set" + name + "(int row, global::System.ReadOnlySpan<float> values)");
        writer.Line("__CheckRow(row, " + Literals.String(name) + ");");
        writer.Open("if (values.Length != " + features + ")");
        writer.Line("throw new global::System.ArgumentException($\"" + _plan.ClassName + ".Batch." + name + ": expected an image of " + c + " x " + h + " x " + w + " = " + features
            + " values (channels x height x width), got {values.Length}.\", nameof(values));");
        writer.Close();
        writer.Line();
        writer.Open("for (int i = 0; i < values.Length; i++)");
        writer.Open("if (!float.IsFinite(values[i]))");
        writer.Line("throw global::ModelDsl.Training.BatchErrors.NotFinitePixel(" + Literals.String(_plan.ClassName + ".Batch." + name) + ", row, i, " + h + ", " + w + ", values[i]);");
        writer.Close();
        writer.Close();
        writer.Line();
        writer.Line("values.CopyTo(global::System.MemoryExtensions.AsSpan(" + Identifiers.Escape(name) + ", row * " + features + ", " + features + "));");
        writer.Close();
    }

    private void WriteTarget(SourceWriter writer, TargetPlan target)
    {
        string prefix = _plan.ClassName + ".Batch.";
        string labels = target.BatchPrefix + "Labels", targets = target.BatchPrefix + "Targets", set = "Set" + target.BatchPrefix, lengths = LabelLengths(target);
        string width = Literals.Int(target.Width);
        if (target.HasLabels)
        {
            string ignore = Literals.Int(target.IgnoreIndex);
            string check = "(label < 0 || label >= " + width + ") && label != " + ignore;
            if (target.PerPosition)
            {
                string max = Literals.Int(target.MaxLength);
                writer.Line("/// <summary>Class label per position, <c>[MaxBatch, " + max + "]</c>, in [0, " + width + ") or IgnoreIndex " + ignore + ".</summary>");
                writer.Line("public int[] " + labels + " { get; } = new int[" + Literals.Int(_plan.MaxBatch * target.MaxLength) + "];");
                writer.Line();
                writer.Line("/// <summary>Sets the labels of row <paramref name=\"row\"/> (1 to " + max + "); the remaining positions get IgnoreIndex " + ignore + ".</summary>");
                writer.Line("/// <param name=\"row\">Row in [0, MaxBatch).</param>");
                writer.Line("/// <param name=\"labels\">One label per position.</param>");
                writer.Open("public void " + set + "Labels(int row, global::System.ReadOnlySpan<int> labels)");
                writer.Line("__CheckRow(row, \"" + labels + "\");");
                writer.Open("if (labels.Length < 1 || labels.Length > " + max + ")");
                writer.Line("throw new global::System.ArgumentException($\"" + prefix + labels + ": {labels.Length} labels must be between 1 and " + max + ".\", nameof(labels));");
                writer.Close();
                writer.Line();
                writer.Open("for (int i = 0; i < labels.Length; i++)");
                writer.Line("int label = labels[i];");
                writer.Open("if (" + check + ")");
                writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(labels), label, $\"" + prefix + labels + ": label {label} at row {row}, position {i} must be in [0, " + target.WidthDisplay + ") or IgnoreIndex (" + ignore + ").\");");
                writer.Close();
                writer.Close();
                writer.Line();
                writer.Line("global::System.Span<int> destination = global::System.MemoryExtensions.AsSpan(" + labels + ", row * " + max + ", " + max + ");");
                writer.Line("labels.CopyTo(destination);");
                writer.Line("destination.Slice(labels.Length).Fill(" + ignore + ");");
                writer.Line(lengths + "[row] = labels.Length;");
                writer.Close();
            }
            else
            {
                writer.Line("/// <summary>Class label per row, <c>[MaxBatch]</c>, in [0, " + width + ") or IgnoreIndex " + ignore + ".</summary>");
                writer.Line("public int[] " + labels + " { get; } = new int[" + Literals.Int(_plan.MaxBatch) + "];");
                writer.Line();
                writer.Line("/// <summary>Sets the label of row <paramref name=\"row\"/>.</summary>");
                writer.Line("/// <param name=\"row\">Row in [0, MaxBatch).</param>");
                writer.Line("/// <param name=\"label\">Class in [0, " + width + ") or IgnoreIndex.</param>");
                writer.Open("public void " + set + "Label(int row, int label)");
                writer.Line("__CheckRow(row, \"" + labels + "\");");
                writer.Open("if (" + check + ")");
                writer.Line("throw new global::System.ArgumentOutOfRangeException(nameof(label), label, $\"" + prefix + labels + ": label {label} at row {row} must be in [0, " + target.WidthDisplay + ") or IgnoreIndex (" + ignore + ").\");");
                writer.Close();
                writer.Line();
                writer.Line(labels + "[row] = label;");
                writer.Close();
            }

            return;
        }

        long rowLength = target.PerPosition ? target.MaxLength * target.Width : target.Width;
        writer.Line("/// <summary>Regression targets, <c>[MaxBatch, " + (target.PerPosition ? Literals.Int(target.MaxLength) + ", " : string.Empty) + width + "]</c> row-major, shaped like <c>" + target.Layer + "</c>'s output.</summary>");
        writer.Line("public float[] " + targets + " { get; } = new float[" + Literals.Int(_plan.MaxBatch * rowLength) + "];");
        writer.Line();
        writer.Line("/// <summary>Sets the targets of row <paramref name=\"row\"/>" + (target.PerPosition ? " (positions × " + width + " values; the rest is zeroed)" : " (exactly " + width + " values)") + ".</summary>");
        writer.Line("/// <param name=\"row\">Row in [0, MaxBatch).</param>");
        writer.Line("/// <param name=\"values\">The row's targets.</param>");
        writer.Open("public void " + set + "Target(int row, global::System.ReadOnlySpan<float> values)");
        writer.Line("__CheckRow(row, \"" + targets + "\");");
        if (target.PerPosition)
        {
            writer.Open("if (values.Length == 0 || values.Length % " + width + " != 0 || values.Length > " + Literals.Int(rowLength) + ")");
            writer.Line("throw new global::System.ArgumentException($\"" + prefix + targets + ": {values.Length} values must be a whole number of " + width + "-wide positions, at most " + Literals.Int(target.MaxLength) + ".\", nameof(values));");
        }
        else
        {
            writer.Open("if (values.Length != " + width + ")");
            writer.Line("throw new global::System.ArgumentException($\"" + prefix + targets + ": expected " + target.WidthDisplay + " values, got {values.Length}.\", nameof(values));");
        }

        writer.Close();
        writer.Line();
        WriteFiniteCheck(writer, prefix + targets, target.PerPosition ? target.Width : 0);
        writer.Line();
        writer.Line("global::System.Span<float> destination = global::System.MemoryExtensions.AsSpan(" + targets + ", row * " + Literals.Int(rowLength) + ", " + Literals.Int(rowLength) + ");");
        writer.Line("values.CopyTo(destination);");
        writer.Line("destination.Slice(values.Length).Clear();");
        if (target.PerPosition)
        {
            writer.Line(lengths + "[row] = values.Length / " + width + ";");
        }

        writer.Close();
    }

    // A NaN or infinite input would turn every parameter into NaN in one step: refused where it enters, named.
    private static void WriteFiniteCheck(SourceWriter writer, string prefix, long featuresPerPosition)
    {
        string position = featuresPerPosition > 0 ? "i / " + Literals.Int(featuresPerPosition) : "-1";
        string feature = featuresPerPosition > 0 ? "i % " + Literals.Int(featuresPerPosition) : "i";
        writer.Open("for (int i = 0; i < values.Length; i++)");
        writer.Open("if (!float.IsFinite(values[i]))");
        writer.Line("throw global::ModelDsl.Training.BatchErrors.NotFinite(" + Literals.String(prefix) + ", row, " + position + ", " + feature + ", values[i]);");
        writer.Close();
        writer.Close();
    }

    // Empties every buffer: ids to their pad id, lengths to 0, labels to IgnoreIndex, values to 0.
    private void WriteClear(SourceWriter writer)
    {
        writer.Line("/// <summary>Empties every row (ids to the pad id, lengths to 0, labels to IgnoreIndex, values to 0) and sets <see cref=\"Count\"/> to 0.</summary>");
        writer.Open("public void Clear()");
        foreach (InputPlan input in _plan.Inputs)
        {
            string name = Identifiers.Escape(input.Name);
            writer.Line(input.Tokens
                ? "global::System.Array.Fill(" + name + ", " + Literals.Int(input.PadId) + ");"
                : "global::System.Array.Clear(" + name + ");");
            if (input.MaxLength > 0)
            {
                writer.Line("global::System.Array.Clear(" + input.Name + "Lengths);");
            }

            if (input.NeedsAdjacency && input.MaxLength > 0)
            {
                writer.Line("global::System.Array.Clear(" + input.Name + "Adjacency);");
            }
        }

        foreach (TargetPlan target in _plan.Losses)
        {
            writer.Line(target.HasLabels
                ? "global::System.Array.Fill(" + target.BatchMember + ", " + Literals.Int(target.IgnoreIndex) + ");"
                : "global::System.Array.Clear(" + target.BatchMember + ");");
            if (target.PerPosition)
            {
                writer.Line("global::System.Array.Clear(" + LabelLengths(target) + ");");
            }
        }

        writer.Line("__count = 0;");
        writer.Close();
    }

    // Row-by-row cross-checks the setters cannot make alone (they run in any order): a per-position target as long as
    // the input row it labels. The trainer calls it before each forward pass; it allocates nothing unless it throws.
    private void WriteValidate(SourceWriter writer)
    {
        writer.Line("/// <summary>Checks that each of the <see cref=\"Count\"/> rows is complete and consistent; the trainer calls it before every pass.</summary>");
        writer.Open("internal void __Validate()");
        foreach (TargetPlan target in _plan.Losses)
        {
            if (target is not { PerPosition: true, Source: { } source })
            {
                continue;
            }

            bool labels = target.HasLabels;
            string lengths = LabelLengths(target);
            writer.Open("for (int row = 0; row < __count; row++)");
            writer.Open("if (" + lengths + "[row] != " + source + "Lengths[row])");
            writer.Line("throw global::ModelDsl.Training.BatchErrors.LengthMismatch(" + Literals.String(_plan.ClassName) + ", row, " + Literals.String(source)
                + ", " + source + "Lengths[row], " + lengths + "[row], labels: " + (labels ? "true" : "false") + ");");
            writer.Close();
            writer.Close();
        }

        writer.Close();
    }

    // IBatchRows, implemented explicitly (no clash with input names): the layout, and each generic setter forwarding to
    // the typed one by input index, so the data helpers fill any model's batch with the same checks and messages.
    private void WriteRows(SourceWriter writer)
    {
        const string Rows = "global::ModelDsl.Training.IBatchRows";
        const string Errors = "global::ModelDsl.Data.BatchRowErrors";
        writer.Line("private static readonly global::ModelDsl.Data.BatchLayout __layout = new(");
        writer.Indent();
        writer.Line(Literals.String(_plan.ClassName) + ",");
        writer.Line("new global::ModelDsl.Data.BatchInput[]");
        writer.Open();
        foreach (InputPlan input in _plan.Inputs)
        {
            writer.Line("new(" + Literals.String(input.Name) + ", " + (input.Tokens ? "true" : "false") + ", " + Literals.Int(input.MaxLength) + ", "
                + Literals.Int(input.Tokens ? input.Vocab : 0) + ", " + Literals.Int(input.Tokens ? 0 : input.Features) + ", " + Literals.Int(input.Tokens ? input.PadId : 0) + "),");
        }

        writer.Close(",");
        if (_plan.Target is { } target)
        {
            string kind = target.HasLabels
                ? (target.PerPosition ? "ClassPerPosition" : "Class")
                : (target.PerPosition ? "ValuesPerPosition" : "Values");
            writer.Line("new global::ModelDsl.Data.BatchTarget(global::ModelDsl.Data.BatchTargetKind." + kind + ", " + Literals.Int(target.Width) + ", "
                + Literals.Int(target.PerPosition ? target.MaxLength : 0) + ", " + Literals.Int(target.HasLabels ? target.IgnoreIndex : 0) + ", "
                + (target.Source is null ? "null" : Literals.String(target.Source)) + "));");
        }
        else
        {
            writer.Line("null);");
        }

        writer.Unindent();
        writer.Line();
        writer.Line("/// <summary>The buffers' shapes (inputs in declaration order, then the target), for the generic setters of IBatchRows.</summary>");
        writer.Line("global::ModelDsl.Data.BatchLayout " + Rows + ".Layout => __layout;");
        WriteInputSwitch(writer, Rows + ".SetTokens(int input, int row, global::System.ReadOnlySpan<int> ids)", tokens: true, Errors);
        WriteInputSwitch(writer, Rows + ".SetFeatures(int input, int row, global::System.ReadOnlySpan<float> values)", tokens: false, Errors);
        TargetPlan? plan = _plan.Target;
        bool labels = plan is { HasLabels: true };
        string wrong = "throw " + Errors + ".WrongTarget(__layout, ";
        string set = "Set" + (plan?.BatchPrefix ?? string.Empty);
        Arrow(writer, "void " + Rows + ".SetLabel(int row, int label)", labels && !plan!.PerPosition ? set + "Label(row, label);" : wrong + "\"SetLabel\");");
        Arrow(writer, "void " + Rows + ".SetLabels(int row, global::System.ReadOnlySpan<int> labels)",
            labels && plan!.PerPosition ? set + "Labels(row, labels);" : wrong + "\"SetLabels\");");
        Arrow(writer, "void " + Rows + ".SetTargets(int row, global::System.ReadOnlySpan<float> values)",
            plan is not null && !labels ? set + "Target(row, values);" : wrong + "\"SetTargets\");");
        Arrow(writer, "global::System.ReadOnlySpan<int> " + Rows + ".LabelsOf(int row)",
            !labels ? wrong + "\"LabelsOf\");" : plan!.PerPosition ? "new(Labels, row * " + Literals.Int(plan.MaxLength) + ", " + LabelLengths(plan) + "[row]);" : "new(Labels, row, 1);");
    }

    /// <summary>The Batch's per-row label (or target) count of a per-position loss: <c>__labelLengths</c>, or <c>__{Name}LabelLengths</c>.</summary>
    private static string LabelLengths(TargetPlan target) => "__" + (target.BatchPrefix.Length == 0 ? "l" : target.BatchPrefix + "L") + "abelLengths";

    private static void Arrow(SourceWriter writer, string signature, string body)
    {
        writer.Line();
        writer.Line(signature + " =>");
        writer.Indent();
        writer.Line(body);
        writer.Unindent();
    }

    private void WriteInputSwitch(SourceWriter writer, string signature, bool tokens, string errors)
    {
        string fail = "throw " + errors + ".WrongInput(__layout, input, tokens: " + (tokens ? "true" : "false") + ");";
        bool any = false;
        foreach (InputPlan input in _plan.Inputs)
        {
            any |= input.Tokens == tokens;
        }

        if (!any)
        {
            Arrow(writer, "void " + signature, fail);
            return;
        }

        writer.Line();
        writer.Open("void " + signature);
        writer.Open("switch (input)");
        for (int i = 0; i < _plan.Inputs.Count; i++)
        {
            InputPlan input = _plan.Inputs[i];
            if (input.Tokens == tokens)
            {
                writer.Line("case " + Literals.Int(i) + ": Set" + input.Name + "(row, " + (tokens ? "ids" : "values") + "); return;");
            }
        }

        writer.Line("default: " + fail);
        writer.Close();
        writer.Close();
    }
}
