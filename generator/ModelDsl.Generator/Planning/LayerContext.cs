using System.Collections.Generic;
using System.Globalization;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Diagnostics;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>
/// What a layer descriptor's shape rule sees of the planner: its declaration, the shape it reads, the checks that report
/// at the right argument, and the records it leaves (parameters, state, activations, dimension constants). A descriptor
/// either reports and returns, or calls <see cref="Complete(Shape, PendingGroup[], ValueTuple{string, Shape}[], long, string)"/> once.
/// </summary>
internal sealed class LayerContext
{
    private readonly ModelPlanner _planner;
    private readonly Shape? _input;

    internal LayerContext(ModelPlanner planner, int index, LayerSpec layer, Shape? input, string from)
    {
        _planner = planner;
        Index = index;
        Layer = layer;
        _input = input;
        From = from;
    }

    /// <summary>The layer's index in declaration order.</summary>
    public int Index { get; }

    /// <summary>The declaration.</summary>
    public LayerSpec Layer { get; }

    /// <summary>The shape the layer reads (its source's output); inputs read none.</summary>
    public Shape Input => _input ?? throw new System.InvalidOperationException(Layer.Name + " reads no other layer");

    /// <summary>The name of the layer it reads.</summary>
    public string From { get; }

    /// <summary>Path prefix of its parameters in the state dict (snake_case member name).</summary>
    public string Path => Naming.SnakeCase(Layer.Name);

    public int MaxBatch => _planner.MaxBatchValue;

    public string ClassName => _planner.ClassName;

    public long Int(string name, long fallback) => Layer.Int(name, fallback);

    public float Float(string name, float fallback) => Layer.Float(name, fallback);

    public bool Bool(string name, bool fallback) => Layer.Bool(name, fallback);

    /// <summary>A dimension named after the argument the user wrote ("D"), or unnamed for a literal.</summary>
    public Dim StaticDim(string argument, long value) => new(Layer.Argument(argument)?.Symbol, value, DimKind.Static);

    /// <summary>The argument's location, or the attribute's when it was not written.</summary>
    public LocationInfo? At(string argument) => Layer.Argument(argument)?.Location ?? Layer.AttributeLocation;

    public void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo? location, params object?[] arguments) =>
        _planner.Report(descriptor, location, arguments);

    /// <summary>Reports a size outside [min, max]; returns whether it is usable.</summary>
    public bool CheckRange(string argument, long value, long min, string rule)
    {
        if (value < min || value > ModelPlanner.MaxTensorElements)
        {
            string display = Layer.Argument(argument)?.Symbol is { } symbol ? symbol + " = " + value.ToString(CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture);
            Report(DiagnosticDescriptors.ArgumentOutOfRange, At(argument), Layer.Name, argument, display, value > ModelPlanner.MaxTensorElements ? "at most " + ModelPlanner.MaxTensorElements.ToString(CultureInfo.InvariantCulture) : rule);
            return false;
        }

        return true;
    }

    /// <summary>Reports a probability outside [0, 1); returns whether it is usable.</summary>
    public bool CheckProbability(string argument, float value)
    {
        if (float.IsNaN(value) || value < 0f || value >= 1f)
        {
            Report(DiagnosticDescriptors.ArgumentOutOfRange, At(argument), Layer.Name, argument, value.ToString("R", CultureInfo.InvariantCulture), "in [0, 1)");
            return false;
        }

        return true;
    }

    /// <summary>Reports a tensor over the per-tensor limit; returns whether it fits.</summary>
    public bool CheckTensor(string what, long elements)
    {
        if (elements > ModelPlanner.MaxTensorElements)
        {
            Report(DiagnosticDescriptors.TooLarge, Layer.AttributeLocation, Layer.Name, what, elements == long.MaxValue ? "more than 9.2e18" : elements.ToString("N0", CultureInfo.InvariantCulture), ModelPlanner.MaxTensorElements.ToString("N0", CultureInfo.InvariantCulture));
            return false;
        }

        return true;
    }

    /// <summary>
    /// Reports a token input where floats are needed, and an image [B, C, H, W] unless the layer is element-wise
    /// (<paramref name="images"/>); returns whether the input is usable.
    /// </summary>
    public bool RequireFloat(bool images = false)
    {
        if (Input.Tokens)
        {
            Report(DiagnosticDescriptors.InputKindMismatch, Layer.AttributeLocation, Layer.Name, KnownNames.AttributeName(Layer.Kind), "floats ([B, D] or [B, T, D]); embed token ids first", From, Input.Named);
            return false;
        }

        if (!images && Input.Rank == 4)
        {
            Report(DiagnosticDescriptors.InputKindMismatch, Layer.AttributeLocation, Layer.Name, KnownNames.AttributeName(Layer.Kind), "floats [B, D] or [B, T, D]; flatten the image first ([Flatten] or [GlobalAvgPool2d])", From, Input.Named);
            return false;
        }

        return true;
    }

    /// <summary>Resolves a From/Memory/SharedWith name to an earlier layer's index, reporting unknown, forward and self references (-1).</summary>
    public int Resolve(string argument, string name) => _planner.Resolve(Index, argument, name);

    /// <summary>The index of the member called <paramref name="name"/>, wherever it is declared.</summary>
    public bool TryFind(string name, out int index) => _planner.TryFind(name, out index);

    /// <summary>Another layer's declaration.</summary>
    public LayerSpec LayerAt(int index) => _planner.LayerAt(index);

    /// <summary>Another (earlier) layer's output, null when it failed.</summary>
    public Shape? OutputOf(int index) => _planner.OutputOf(index);

    /// <summary>Declares a constant of the model's <c>Dims</c> class.</summary>
    public void AddDim(string name, long value, string comment) => _planner.AddDim(new DimConstant(name, value, comment));

    /// <summary>Declares a state tensor (e.g. running statistics), not trained, in the state block.</summary>
    public void AddState(string name, long[] shape, Init init) => _planner.AddState(new PendingParameter(name, shape, init, 0, 0, null) { Layer = Index });

    /// <summary>Records the layer cross-attention (or a recurrent decoder) reads.</summary>
    public void SetMemory(string layerName) => _planner.SetMemory(Index, layerName);

    /// <summary>Records that the input <paramref name="source"/> needs an adjacency matrix in the batch (graph masks).</summary>
    public void AddGraphSource(string source) => _planner.AddGraphSource(source);

    /// <summary>Records the vocabulary an embedding reading <paramref name="source"/> accepts (the smallest one wins).</summary>
    public void RecordVocabulary(string source, long vocab, string display) => _planner.RecordVocabulary(source, vocab, display);

    /// <summary>Declares an input of the generated Batch.</summary>
    public void AddInput(InputPlan input) => _planner.AddInput(input);

    /// <summary>The name ("T", "SourceLength"...) of the sequence dimension of the input <paramref name="layerName"/>.</summary>
    public string SequenceName(string layerName) => _planner.SequenceName(layerName);

    /// <summary>The name ("T", "TSource"...) generated code gives the sequence length of the input <paramref name="layerName"/>.</summary>
    public string SequenceVariable(string layerName) => _planner.SequenceVariable(layerName);

    /// <summary>A parameter; 2-D weights get fan-in and fan-out from their [out, in] shape.</summary>
    public static PendingParameter Param(string name, Init init, params long[] shape) =>
        new(name, shape, init, shape.Length == 2 ? shape[1] : 0, shape.Length == 2 ? shape[0] : 0, null);

    /// <summary>A commented block of parameters (a sublayer).</summary>
    public static PendingGroup Group(string title, Shape input, Shape output, params PendingParameter[] parameters) => new(title, input, output, parameters);

    /// <summary>The layer's output shape, parameters, activations, FLOPs and summary details: the layer is planned.</summary>
    public void Complete(Shape output, PendingGroup[] groups, (string Name, Shape Shape)[] activations, long flops, string details) =>
        _planner.Complete(Index, Input, output, groups, activations, flops, details);

    /// <summary>As <see cref="Complete(Shape, PendingGroup[], ValueTuple{string, Shape}[], long, string)"/> for a layer that reads no other.</summary>
    public void Complete(Shape input, Shape output, PendingGroup[] groups, (string Name, Shape Shape)[] activations, long flops, string details) =>
        _planner.Complete(Index, input, output, groups, activations, flops, details);

    /// <summary>The dimensions of <paramref name="shape"/> but the last.</summary>
    public static IEnumerable<Dim> DropLast(Shape shape)
    {
        for (int i = 0; i < shape.Rank - 1; i++)
        {
            yield return shape.Dims[i];
        }
    }
}
