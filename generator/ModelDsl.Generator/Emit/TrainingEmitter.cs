using System;
using System.Collections.Generic;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// Writes the bodies of the generated <c>Trainer.__Forward</c> and <c>Trainer.__Backward</c> (llm.c style: one
/// kernel call per line, one comment per block with the layer path, shapes and parameter offsets) and plans the
/// trainer's activation arena. It walks the layers and asks each one's descriptor
/// (<see cref="LayerDescriptor.EmitTraining"/>) for its forward lines and paired backward block; the shared building
/// blocks are in <c>TrainingEmitter.Blocks.cs</c>. Only models <see cref="TrainingSupport.Unsupported"/> accepts reach it.
/// </summary>
/// <remarks>
/// In the emitted code <c>B</c> is the batch's row count, <c>T</c> its longest row, <c>BT = B * T</c>; <c>p</c>,
/// <c>g</c> are the parameter and gradient blocks, <c>a</c>, <c>d</c> the activation arena and its gradient (same
/// layout, cleared once per step). Every slice has the exact length of the actual batch, at the offset planned for
/// MaxBatch and the maximum length.
/// </remarks>
internal sealed partial class TrainingEmitter
{
    /// <summary>The runtime's kernels namespace, as emitted: the alias every generated file declares (<see cref="KernelsAlias"/>).</summary>
    internal const string K = "__Kernels.";

    /// <summary>
    /// The using alias at the top of every generated file, so kernel calls read <c>__Kernels.Linear.Forward(...)</c> rather than
    /// repeating <c>global::ModelDsl.Kernels.</c>; the <c>__</c> prefix is reserved for generated names (a user member or type cannot take it).
    /// </summary>
    internal const string KernelsAlias = "using __Kernels = global::ModelDsl.Kernels;";

    /// <summary><c>System.MemoryExtensions</c> as emitted (spans over arrays): the alias every generated file declares (<see cref="MemoryAlias"/>).</summary>
    internal const string Memory = "__Memory.";

    internal const string MemoryAlias = "using __Memory = global::System.MemoryExtensions;";

    /// <summary>The start of an emitted span over an array: <c>__Memory.AsSpan(array, start, length)</c>.</summary>
    internal const string AsSpan = Memory + "AsSpan(";

    /// <summary>The emitted worker pool the kernels run on.</summary>
    internal const string Pool = "Pool";

    private readonly ModelPlan _plan;
    private readonly Dictionary<string, ParameterPlan> _parameters = new(StringComparer.Ordinal);
    private readonly List<Buffer> _buffers = [];
    private readonly List<string> _forward = [];
    private readonly List<List<string>> _backward = [];
    private readonly List<Sequence> _sequences = [];
    private readonly List<(InputPlan Input, Buffer Buffer)> _denseInputs = [];
    private readonly List<(Sequence Query, Sequence Key)> _attentionShapes = [];
    private readonly Dictionary<string, (int Start, int End)> _layerLines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Flow> _outputs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _fields = new(StringComparer.Ordinal);
    private readonly bool _layout;
    private readonly List<ActivationPlan> _planned = [];
    private readonly List<(string Layer, ActivationPlan Activation)> _laidOut = [];
    private int _allocated;
    private string? _layer;
    private int _arenaLength;
    private long _maskLength;
    private int _dropoutSites;

    private TrainingEmitter(ModelPlan plan, bool layout)
    {
        _plan = plan;
        _layout = layout;
        if (!layout)
        {
            foreach (LayerPlan layer in plan.Layers)
            {
                _planned.AddRange(layer.Activations);
            }

            _planned.Sort((x, y) => x.Offset.CompareTo(y.Offset));
        }

        foreach (LayerPlan layer in plan.Layers)
        {
            foreach (ParameterGroup group in layer.Groups)
            {
                foreach (ParameterPlan parameter in group.Parameters)
                {
                    if (parameter.TiedTo is null)
                    {
                        _parameters[parameter.Name] = parameter;
                    }
                }
            }
        }

        // Sequence inputs (token ids or feature vectors, each with its own T); a model with one sequence uses plain T, BT.
        int sequenceCount = 0;
        foreach (InputPlan input in plan.Inputs)
        {
            sequenceCount += input.MaxLength > 0 ? 1 : 0;
        }

        bool single = sequenceCount == 1;
        foreach (InputPlan input in plan.Inputs)
        {
            if (input.MaxLength == 0)
            {
                // Dense features [B, N]: copied from the batch into the arena (no gradient flows into an input).
                _denseInputs.Add((input, Alloc(Naming.SnakeCase(input.Name) + ".input", _plan.MaxBatch * input.Features, "B * " + Literals.Int(input.Features), BatchShape(null, input.Features)) with { Constant = true }));
                continue;
            }

            string t = SequenceDim(input).Compact;
            Buffer? features = input.Tokens ? null : Alloc(Naming.SnakeCase(input.Name) + ".input", _plan.MaxBatch * input.MaxLength * input.Features, "B" + t + " * " + Literals.Int(input.Features), BatchShape(input, input.Features)) with { Constant = true };
            _sequences.Add(new Sequence(
                input,
                t,
                "B" + t,
                single ? "__t" : "__t_" + input.Name,
                input.Tokens ? (single ? "__ids" : "__ids_" + input.Name) : null,
                Span("batch." + Identifiers.Escape(input.Name + "Lengths"), "B"),
                input.NeedsAdjacency ? (single ? "__adjacency" : "__adjacency_" + input.Name) : null,
                features));
        }

        Target = plan.Target!;
        LabelSequence = Target.PerPosition ? SequenceOfInput(Target.Source!) : null;
        TargetSequence = Target.HasLabels && LabelSequence is { Input.Tokens: true } ? LabelSequence : null;
        foreach (LayerPlan layer in plan.Layers)
        {
            HasBatchNorm |= layer.Descriptor.UsesBatchStatistics;
        }
    }

    /// <summary>The sequence inputs (token ids or feature vectors), in declaration order, with the names their lengths and ids have in the emitted code.</summary>
    public IReadOnlyList<Sequence> Sequences => _sequences;

    /// <summary>The dense feature inputs <c>[B, N]</c> and the arena buffer each is copied into.</summary>
    public IReadOnlyList<(InputPlan Input, Buffer Buffer)> DenseInputs => _denseInputs;

    /// <summary>The sequence the per-position labels or targets follow (null for one label or target row per batch row).</summary>
    public Sequence? LabelSequence { get; }

    /// <summary>
    /// The token input whose per-position class labels the loss reads (the candidate for autoregressive decoding, see
    /// <see cref="DecodingPlan"/>); null for per-row labels, regression targets and labels along a feature sequence.
    /// </summary>
    public Sequence? TargetSequence { get; }

    /// <summary>Whether the model has a [BatchNorm] (the forward then takes a batch-statistics flag and reads the state block).</summary>
    public bool HasBatchNorm { get; }

    /// <summary>Whether the emitted code packs the valid positions of a sequence (the trainer then gets the packing helpers).</summary>
    public bool UsesPacking { get; internal set; }

    /// <summary>The loss.</summary>
    public TargetPlan Target { get; }

    /// <summary>Bytes of dropout masks (one per element of every dropout site at MaxBatch); 0 without dropout.</summary>
    public long MaskLength => _maskLength;

    /// <summary>Floats in the activation arena (and in its gradient).</summary>
    public int ArenaLength => _arenaLength;

    /// <summary>Forward lines (after the prologue that sets B, T, BT, p, a).</summary>
    public IReadOnlyList<string> Forward => _forward;

    /// <summary>Backward blocks in forward order; the caller writes them in reverse.</summary>
    public IReadOnlyList<List<string>> Backward => _backward;

    /// <summary>Offset of the head's output: the logits (cross-entropy) or the predictions (MSE).</summary>
    public int LogitsOffset { get; private set; }

    /// <summary>Float tables the trainer allocates and fills once (e.g. the sinusoid table of [SinusoidalPositions]).</summary>
    public List<TrainerTable> Tables { get; } = [];

    /// <summary>Largest <c>rows * units</c> of a Linear with an activation (the backward scratch it needs).</summary>
    public long LinearScratch { get; private set; }

    /// <summary>The (query, key) sequences of every attention (its backward scratch depends on their lengths and the thread count).</summary>
    public IReadOnlyList<(Sequence Query, Sequence Key)> AttentionShapes => _attentionShapes;

    /// <summary>Saved-activation blocks (e.g. of the recurrent layers): trainer field and its size at MaxBatch (a runtime expression).</summary>
    public List<(string Field, string Size)> SavedBlocks { get; } = [];

    /// <summary>Scratch sizes (runtime expressions at MaxBatch) layers need beside <see cref="LinearScratch"/>.</summary>
    public List<string> ScratchTerms { get; } = [];

    /// <summary>Static readonly fields of the trainer (e.g. a [RecurrentDecoder]'s kernel configuration).</summary>
    public List<TrainerConstant> Constants { get; } = [];

    /// <summary>The trainer field (a table or a constant) a layer's code reads, by layer name; its decoding step reads it too.</summary>
    public Dictionary<string, string> LayerFields { get; } = new(StringComparer.Ordinal);

    /// <summary>The range of <see cref="Forward"/> lines each layer wrote (inputs and identities write none).</summary>
    public IReadOnlyDictionary<string, (int Start, int End)> LayerLines => _layerLines;

    /// <summary>Arena offset of a layer's output and the sequence it runs along (null when pooled).</summary>
    public (int Offset, Sequence? Sequence) Output(string layer) => (_outputs[layer].Buffer.Offset, _outputs[layer].Sequence);

    /// <summary>The largest batch the arena is planned for.</summary>
    internal int MaxBatch => _plan.MaxBatch;

    /// <summary>Forward lines, for the descriptors to append to.</summary>
    internal List<string> ForwardLines => _forward;

    /// <summary>Appends a layer's backward block (the trainer writes the blocks in reverse order).</summary>
    internal void AddBackward(List<string> block) => _backward.Add(block);

    /// <summary>What the layer named <paramref name="layer"/> hands on.</summary>
    internal Flow FlowOf(string layer) => _outputs[layer];

    /// <summary>The planned layer named <paramref name="name"/>.</summary>
    internal LayerPlan LayerNamed(string name)
    {
        foreach (LayerPlan layer in _plan.Layers)
        {
            if (layer.Name == name)
            {
                return layer;
            }
        }

        throw new InvalidOperationException("no planned layer is called " + name);
    }

    /// <summary>What the layer <paramref name="layer"/> reads (its From, or the previous member).</summary>
    internal Flow SourceOf(LayerPlan layer) => _outputs[layer.Options.Source!];

    /// <summary>Activation buffers: name, offset, maximum length (for the generated docs).</summary>
    public IReadOnlyList<Buffer> Buffers => _buffers;

    /// <summary>Writes the forward and backward code of <paramref name="plan"/>, its buffers at the offsets of the plan's activation arena.</summary>
    public static TrainingEmitter Create(ModelPlan plan)
    {
        var emitter = new TrainingEmitter(plan, layout: false);
        emitter.Walk();
        if (emitter._allocated != emitter._planned.Count)
        {
            throw new InvalidOperationException("the trainer uses " + emitter._allocated + " activation buffers, the plan has " + emitter._planned.Count);
        }

        return emitter;
    }

    /// <summary>
    /// A sequence input as the emitted code sees it: its length variable <c>T</c> (the batch's longest row), <c>BT = B * T</c>,
    /// the trainer field holding <c>T</c>, the packed ids <c>[B, T]</c> (token inputs) or the arena buffer of the packed
    /// features <c>[B, T, N]</c> (feature inputs), the lengths span and, for graph masks, the packed adjacency <c>[B, T, T]</c>.
    /// A model with one sequence input uses plain <c>T</c>, <c>BT</c>, <c>__ids</c>.
    /// </summary>
    internal sealed record Sequence(InputPlan Input, string T, string BT, string Field, string? IdsArray, string Lengths, string? AdjacencyArray, Buffer? Features)
    {
        public long MaxLength => Input.MaxLength;

        public string Ids => Span(IdsArray!, BT);
    }

    /// <summary>
    /// What a layer hands to the layers that read it: its output buffer, the sequence it runs along (null after pooling) and its
    /// width; an encoder also hands its final state <c>[B, FinalWidth]</c> (a [RecurrentEncoder] starts its decoder with it).
    /// </summary>
    internal sealed record Flow(Buffer Buffer, Sequence? Sequence, long Width)
    {
        public Buffer? Final { get; init; }

        public long FinalWidth { get; init; }
    }

    /// <summary>A float table the trainer allocates (<paramref name="Length"/> floats) and fills once in its constructor with <paramref name="Fill"/>.</summary>
    internal sealed record TrainerTable(string Field, long Length, string Fill)
    {
        /// <summary>Non-null: the table is a public property of the trainer with this XML summary (users may write it).</summary>
        public string? PublicSummary { get; init; }
    }

    /// <summary>A static readonly field of the trainer: its type, name and initializer.</summary>
    internal sealed record TrainerConstant(string Type, string Field, string Value);

    /// <summary>
    /// One buffer of the arena, named in the emitted code by its offset constant <c>Arena.{Field}</c> (the buffer's name with
    /// <c>_</c> for <c>.</c>: <c>Arena.encoder_layers_0_self_attn_q</c>); <see cref="Constant"/> for a copied input, whose gradient nothing needs.
    /// </summary>
    internal sealed record Buffer(string Name, string Field, int Offset, long MaxLength, string Length)
    {
        public bool Constant { get; init; }

        /// <summary>The gradient slice to pass as a kernel's optional input gradient: <c>default</c> (skipped) for a constant.</summary>
        public string OptionalD => Constant ? "default" : D;

        public string A => "a.Slice(" + ArenaClass + "." + Field + ", " + Length + ")";

        public string D => "d.Slice(" + ArenaClass + "." + Field + ", " + Length + ")";
    }

    internal long MaxRows(Sequence? sequence) => sequence is null ? _plan.MaxBatch : _plan.MaxBatch * sequence.MaxLength;

    internal static string Rows(Sequence? sequence) => sequence is null ? "B" : sequence.BT;

    private Sequence SequenceOfInput(string input) =>
        FindSequence(input) ?? throw new InvalidOperationException("'" + input + "' is not a sequence input");

    private Sequence? FindSequence(string input)
    {
        foreach (Sequence sequence in _sequences)
        {
            if (sequence.Input.Name == input)
            {
                return sequence;
            }
        }

        return null;
    }

    /// <summary>The token input an [Embedding] named <paramref name="source"/> reads.</summary>
    internal Sequence SequenceOf(string source) => SequenceOfInput(source);

    internal ParameterPlan Parameter(string name)
    {
        if (_parameters.TryGetValue(name, out ParameterPlan? parameter))
        {
            return parameter;
        }

        throw new InvalidOperationException("parameter '" + name + "' is not in the plan");
    }

    /// <summary>The parameter of <paramref name="layer"/> called <c>{path}{suffix}</c>, following a tie to its owner.</summary>
    internal ParameterPlan? LayerParameter(LayerPlan layer, string suffix)
    {
        foreach (ParameterGroup group in layer.Groups)
        {
            foreach (ParameterPlan parameter in group.Parameters)
            {
                if (parameter.Name == layer.Path + suffix)
                {
                    return parameter.TiedTo is { } owner ? Parameter(owner) : parameter;
                }
            }
        }

        return null;
    }

    internal static string P(ParameterPlan parameter) => "p.Slice(" + Literals.Int(parameter.Offset) + ", " + Literals.Int(parameter.Length) + ")";

    internal static string G(ParameterPlan parameter) => "g.Slice(" + Literals.Int(parameter.Offset) + ", " + Literals.Int(parameter.Length) + ")";

    internal static string P(ParameterPlan parameter, long start, long length) => "p.Slice(" + Literals.Int(parameter.Offset + start) + ", " + Literals.Int(length) + ")";

    internal static string G(ParameterPlan parameter, long start, long length) => "g.Slice(" + Literals.Int(parameter.Offset + start) + ", " + Literals.Int(length) + ")";

    internal static string Range(ParameterPlan parameter) => parameter.Name + " params[" + Literals.Int(parameter.Offset) + ".." + Literals.Int(parameter.Offset + parameter.Length) + ")";

    /// <summary>ActivationKind member for the DSL's Activation value (None 0, Relu 1, Gelu 2, GeluTanh 3, Tanh 4, Sigmoid 5, LeakyRelu 6).</summary>
    internal static string ActivationKind(int activation) => K + "ActivationKind." + activation switch
    {
        1 => "ReLU",
        2 => "Gelu",
        3 => "GeluTanh",
        4 => "Tanh",
        5 => "Sigmoid",
        6 => "LeakyReLU",
        _ => "None",
    };

    internal static string Span(string array, string length) => AsSpan + array + ", 0, " + length + ")";

    internal static string Number(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private void Walk()
    {
        Dictionary<string, Flow> outputs = _outputs;
        foreach (LayerPlan layer in _plan.Layers)
        {
            int firstLine = _forward.Count;
            _layer = layer.Name;
            WalkLayer(layer, outputs);
            _layerLines[layer.Name] = (firstLine, _forward.Count);
        }

        EmitLosses();
    }

    private void WalkLayer(LayerPlan layer, Dictionary<string, Flow> outputs)
    {
        string title = "// " + layer.Name + " (" + KnownNames.AttributeName(layer.Kind) + "): " + Dims(layer.Input) + " -> " + Dims(layer.Output);
        if (layer.Descriptor.EmitTraining(this, layer, title) is { } flow)
        {
            outputs[layer.Name] = flow;
        }
    }
}
