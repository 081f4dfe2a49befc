using ModelDsl.Generator.Common;
using ModelDsl.Generator.Parsing;

namespace ModelDsl.Generator.Planning;

/// <summary>The schemes of <see cref="Init"/>.</summary>
internal enum InitKind
{
    /// <summary>Zeros (the block starts zeroed: nothing is written).</summary>
    Zeros,
    /// <summary>One value everywhere (<see cref="Init.Value"/>).</summary>
    Constant,
    /// <summary>Uniform in ±sqrt(6 / (fanIn + fanOut)).</summary>
    XavierUniform,
    /// <summary>Normal(0, 1), as nn.Embedding.</summary>
    Normal,
}

/// <summary>
/// How a parameter tensor is initialized (PyTorch's conventions). A descriptor that needs another constant declares it
/// with <see cref="Constant"/> and says where the value comes from, e.g. <c>Init.Constant(0.25f, "0.25 (nn.PReLU's init)")</c>;
/// the emitter writes the description as the comment of the generated fill.
/// </summary>
internal sealed record Init(InitKind Kind, float Value, string Description)
{
    public static readonly Init Zeros = new(InitKind.Zeros, 0f, "zeros (the block starts zeroed)");

    public static readonly Init Ones = new(InitKind.Constant, 1f, "ones");

    public static readonly Init XavierUniform = new(InitKind.XavierUniform, 0f, "Xavier uniform");

    public static readonly Init Normal = new(InitKind.Normal, 0f, "normal(0, 1)");

    /// <summary><paramref name="value"/> everywhere; <paramref name="description"/> says why (it becomes the emitted comment).</summary>
    public static Init Constant(float value, string description) => new(InitKind.Constant, value, description);
}

/// <summary>One parameter (or state) tensor at its offset in its block.</summary>
/// <param name="Stream">Random stream for its initialization (its index in the table).</param>
/// <param name="TiedTo">State-dict name of the tensor this one shares storage with, if tied.</param>
internal sealed record ParameterPlan(string Name, int Offset, int Length, EquatableArray<long> Shape, Init Init, long FanIn, long FanOut, int Stream, string? TiedTo);

/// <summary>A commented block of parameters (a sublayer), e.g. <c>Encoder.Layer[1].SelfAttention</c>.</summary>
internal sealed record ParameterGroup(string Title, Shape Input, Shape Output, EquatableArray<ParameterPlan> Parameters)
{
    /// <summary>First float of the tensors the group owns (tied tensors live elsewhere); -1 when it owns none.</summary>
    public int Start
    {
        get
        {
            foreach (ParameterPlan parameter in Parameters)
            {
                if (parameter.TiedTo is null)
                {
                    return parameter.Offset;
                }
            }

            return -1;
        }
    }

    public int End
    {
        get
        {
            int end = 0;
            foreach (ParameterPlan parameter in Parameters)
            {
                if (parameter.TiedTo is null && parameter.Offset + parameter.Length > end)
                {
                    end = parameter.Offset + parameter.Length;
                }
            }

            return end;
        }
    }
}

/// <summary>An activation buffer in the arena, sized for MaxBatch and the maximum lengths.</summary>
internal sealed record ActivationPlan(string Name, Shape Shape, int Offset, int Length);

/// <summary>
/// A layer's resolved options (defaults applied), for the emitters: the wiring every layer has. A kind with options of its own
/// derives its record in its descriptor file (e.g. <c>DenseOptions</c> in <c>Layers/DenseLayer.cs</c>) and reads it back with
/// <see cref="LayerPlan.OptionsOf{T}"/>.
/// </summary>
/// <param name="Source">The layer it reads (null for inputs).</param>
/// <param name="Memory">The layer cross-attention (or a recurrent decoder) reads, if any.</param>
internal record LayerOptions(string? Source, string? Memory);

/// <summary>One planned layer.</summary>
internal sealed record LayerPlan(
    string Name,
    string Path,
    LayerKind Kind,
    LayerOptions Options,
    string HandleType,
    Shape Input,
    Shape Output,
    EquatableArray<ParameterGroup> Groups,
    EquatableArray<ParameterPlan> State,
    EquatableArray<ActivationPlan> Activations,
    long ParameterCount,
    long Flops,
    string Details)
{
    /// <summary>What the layer's kind means: its options, shape rule, parameters and emitted code.</summary>
    public Layers.LayerDescriptor Descriptor => Layers.LayerRegistry.Get(Kind);

    /// <summary>The options as the record type the kind's descriptor made them (a mismatch is a generator bug).</summary>
    public T OptionsOf<T>()
        where T : LayerOptions =>
        Options as T ?? throw new System.InvalidOperationException(Name + " (" + Kind.ToString() + ") has no " + typeof(T).Name);
}

/// <summary>An input's buffers in the generated Batch.</summary>
/// <param name="Vocab">Token ids must be below this (0 = unchecked: the input feeds no embedding).</param>
/// <param name="NeedsAdjacency">A Graph-masked attention reads this input's sequence.</param>
internal sealed record InputPlan(string Name, bool Tokens, long MaxLength, string MaxLengthDisplay, long Features, long PadId, long Vocab, string VocabDisplay, bool NeedsAdjacency)
{
    /// <summary>An image input <c>[B, C, H, W]</c> (its <see cref="Features"/> are <c>C·H·W</c> per row): C, H, W; empty otherwise.</summary>
    public EquatableArray<long> Image { get; init; } = EquatableArray<long>.Empty;
}

/// <summary>What the loss compares the output with.</summary>
/// <param name="PerPosition">Labels/targets per position ([B, T]) rather than per row ([B]).</param>
/// <param name="Width">Classes (labels) or target width (float targets).</param>
/// <param name="IgnoreIndex">The label that contributes nothing (the Batch fills empty label slots with it); 0 for float targets.</param>
/// <param name="Options">The loss kind's own resolved options (see its descriptor under <c>Losses/</c>).</param>
/// <param name="Source">The input whose lengths bound a per-position target.</param>
internal sealed record TargetPlan(LossKind Kind, string Layer, bool PerPosition, long MaxLength, long Width, string WidthDisplay, long IgnoreIndex, Losses.LossOptions Options, string? Source)
{
    /// <summary>The loss kind's descriptor.</summary>
    public Losses.LossDescriptor Descriptor => Losses.LossRegistry.Get(Kind);

    /// <summary>What the Batch holds for the loss: class labels or float targets.</summary>
    public Losses.LossTargets Targets => Descriptor.Targets;

    /// <summary>Whether the batch holds class labels (<c>Labels</c>) rather than float targets (<c>Targets</c>).</summary>
    public bool HasLabels => Targets == Losses.LossTargets.Labels;

    /// <summary>
    /// The loss's name (its <c>Name</c> argument, else the head's name, else head + kind when the head carries several losses): it names
    /// the loss in <c>Trainer.LossNames</c> and, when the model has several losses, its Batch members (<see cref="BatchPrefix"/>).
    /// </summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>The loss's factor in the objective <c>Σ Weight · loss</c>.</summary>
    public float Weight { get; init; } = 1f;

    /// <summary>
    /// The prefix of the loss's Batch members: empty for a model with one loss (<c>Labels</c>, <c>SetLabel</c>, as always), the loss's
    /// <see cref="Name"/> with several (<c>NspLabels</c>, <c>SetNspLabel</c>).
    /// </summary>
    public string BatchPrefix { get; init; } = string.Empty;

    /// <summary>The Batch member holding the loss's labels or targets, e.g. <c>Labels</c>, <c>NspLabels</c>, <c>TeacherTargets</c>.</summary>
    public string BatchMember => BatchPrefix + (HasLabels ? "Labels" : "Targets");
}

/// <summary>A constant emitted into the model's <c>Dims</c> class.</summary>
internal sealed record DimConstant(string Name, long Value, string Comment);

/// <summary>A partial property implementation to emit.</summary>
/// <param name="LayerIndex">Index into <see cref="ModelPlan.Layers"/>, or -1 for a stub that throws.</param>
internal sealed record PropertyPlan(string Name, string Modifiers, string Type, int LayerIndex);

/// <summary>Everything the emitter needs: the model's layers, layouts, inputs, target and diagnostics.</summary>
/// <param name="Valid">No errors: the full model is emitted; otherwise only throwing property stubs.</param>
internal sealed record ModelPlan(
    string Namespace,
    string ClassName,
    bool CanEmit,
    bool Valid,
    int MaxBatch,
    EquatableArray<LayerPlan> Layers,
    EquatableArray<InputPlan> Inputs,
    TargetPlan? Target,
    EquatableArray<DimConstant> Dims,
    EquatableArray<PropertyPlan> Properties,
    long ParameterCount,
    int ParameterBlockLength,
    int StateBlockLength,
    int ActivationBlockLength,
    long Flops,
    EquatableArray<DiagnosticInfo> Diagnostics)
{
    /// <summary>
    /// Every loss in declaration order (members, then attributes on a member); <see cref="Target"/> is the primary one (the loss whose
    /// head drives <c>Logits</c>, <c>Predict</c>, accuracy and the exports' output). One entry for the usual single-loss model.
    /// </summary>
    public EquatableArray<TargetPlan> Losses { get; init; } = EquatableArray<TargetPlan>.Empty;

    /// <summary>Whether the objective combines several losses (or weighs its one loss): the trainer then keeps each loss's value.</summary>
    public bool WeighsLosses => Losses.Count > 1 || (Losses.Count == 1 && Losses[0].Weight != 1f);

    public string FullName => Namespace.Length == 0 ? ClassName : Namespace + "." + ClassName;
}
