using System;
using System.Collections.Generic;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// Writes the bodies of the generated <c>Trainer.__Forward</c> and <c>Trainer.__Backward</c> (llm.c style: one
/// kernel call per line, one comment per block with the layer path, shapes and parameter offsets) and plans the
/// trainer's activation arena. Only models <see cref="TrainingSupport.Unsupported"/> accepts reach it.
/// </summary>
/// <remarks>
/// In the emitted code <c>B</c> is the batch's row count, <c>T</c> its longest row, <c>BT = B * T</c>; <c>p</c>,
/// <c>g</c> are the parameter and gradient blocks, <c>a</c>, <c>d</c> the activation arena and its gradient (same
/// layout, cleared once per step). Every slice has the exact length of the actual batch, at the offset planned for
/// MaxBatch and the maximum length.
/// </remarks>
internal sealed class TrainingEmitter
{
    private const string K = "global::ModelDsl.Kernels.";
    private const string Pool = "Pool";
    private const int MaskCausal = 1;
    private const int MaskKeyPadding = 2;
    private const int MaskLocalWindow = 4;
    private const int MaskGraph = 8;

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
    private readonly Dictionary<string, string> _sinusoidByLayer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Buffer Buffer, long Width)> _finalStates = new(StringComparer.Ordinal);
    private int _arenaLength;
    private long _maskLength;
    private int _dropoutSites;

    private TrainingEmitter(ModelPlan plan)
    {
        _plan = plan;
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
                _denseInputs.Add((input, Alloc(Naming.SnakeCase(input.Name) + ".input", _plan.MaxBatch * input.Features, "B * " + Literals.Int(input.Features)) with { Constant = true }));
                continue;
            }

            string suffix = single ? string.Empty : input.Name;
            string t = "T" + suffix;
            Buffer? features = input.Tokens ? null : Alloc(Naming.SnakeCase(input.Name) + ".input", _plan.MaxBatch * input.MaxLength * input.Features, "B" + t + " * " + Literals.Int(input.Features)) with { Constant = true };
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
        TargetSequence = Target.Kind == LossKind.CrossEntropy && LabelSequence is { Input.Tokens: true } ? LabelSequence : null;
        foreach (LayerPlan layer in plan.Layers)
        {
            HasBatchNorm |= layer.Kind == LayerKind.BatchNorm;
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
    public bool UsesPacking { get; private set; }

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

    /// <summary>Sinusoidal tables the trainer fills once: field name, positions and width.</summary>
    public List<(string Field, long Positions, long Width)> SinusoidTables { get; } = [];

    /// <summary>Largest <c>rows * units</c> of a Linear with an activation (the backward scratch it needs).</summary>
    public long LinearScratch { get; private set; }

    /// <summary>The (query, key) sequences of every attention (its backward scratch depends on their lengths and the thread count).</summary>
    public IReadOnlyList<(Sequence Query, Sequence Key)> AttentionShapes => _attentionShapes;

    /// <summary>Saved-activation blocks of the recurrent layers: trainer field and its size at MaxBatch (a runtime expression).</summary>
    public List<(string Field, string Size)> RecurrentSaved { get; } = [];

    /// <summary>Scratch sizes (runtime expressions at MaxBatch) the recurrent layers need beside <see cref="LinearScratch"/>.</summary>
    public List<string> ScratchTerms { get; } = [];

    /// <summary>Static RecurrentDecoderConfig fields: name and initializer.</summary>
    public List<(string Field, string Value)> RecurrentConfigs { get; } = [];

    /// <summary>Arena offset and width of a [RecurrentEncoder]'s final state <c>[B, F]</c>.</summary>
    public (int Offset, long Width) FinalState(string layer) => (_finalStates[layer].Buffer.Offset, _finalStates[layer].Width);

    /// <summary>The config field of each [RecurrentDecoder].</summary>
    public Dictionary<string, string> RecurrentConfigByLayer { get; } = new(StringComparer.Ordinal);

    /// <summary>The range of <see cref="Forward"/> lines each layer wrote (inputs and identities write none).</summary>
    public IReadOnlyDictionary<string, (int Start, int End)> LayerLines => _layerLines;

    /// <summary>The sinusoid table field a [SinusoidalPositions] layer reads.</summary>
    public IReadOnlyDictionary<string, string> SinusoidByLayer => _sinusoidByLayer;

    /// <summary>Arena offset of a layer's output and the sequence it runs along (null when pooled).</summary>
    public (int Offset, Sequence? Sequence) Output(string layer) => (_outputs[layer].Buffer.Offset, _outputs[layer].Sequence);

    /// <summary>Activation buffers: name, offset, maximum length (for the generated docs).</summary>
    public IReadOnlyList<Buffer> Buffers => _buffers;

    /// <summary>Plans and writes the forward and backward code of <paramref name="plan"/>.</summary>
    public static TrainingEmitter Create(ModelPlan plan)
    {
        var emitter = new TrainingEmitter(plan);
        emitter.Walk();
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

    /// <summary>What a layer hands to the layers that read it: its output buffer, the sequence it runs along (null after pooling) and its width.</summary>
    private sealed record Flow(Buffer Buffer, Sequence? Sequence, long Width);

    /// <summary>One buffer of the arena; <see cref="Constant"/> for a copied input, whose gradient nothing needs.</summary>
    internal sealed record Buffer(string Name, int Offset, long MaxLength, string Length)
    {
        public bool Constant { get; init; }

        /// <summary>The gradient slice to pass as a kernel's optional input gradient: <c>default</c> (skipped) for a constant.</summary>
        public string OptionalD => Constant ? "default" : D;

        public string A => "a.Slice(" + Literals.Int(Offset) + ", " + Length + ")";

        public string D => "d.Slice(" + Literals.Int(Offset) + ", " + Length + ")";
    }

    private long MaxRows(Sequence? sequence) => sequence is null ? _plan.MaxBatch : _plan.MaxBatch * sequence.MaxLength;

    private static string Rows(Sequence? sequence) => sequence is null ? "B" : sequence.BT;

    private Sequence SequenceOfInput(string input)
    {
        foreach (Sequence sequence in _sequences)
        {
            if (sequence.Input.Name == input)
            {
                return sequence;
            }
        }

        throw new InvalidOperationException("'" + input + "' is not a sequence input");
    }

    /// <summary>The token input an [Embedding] named <paramref name="source"/> reads.</summary>
    private Sequence SequenceOf(string source) => SequenceOfInput(source);

    private Buffer Alloc(string name, Sequence? sequence, long width)
    {
        long max = MaxRows(sequence) * width;
        string length = Rows(sequence) + (width == 1 ? string.Empty : " * " + Literals.Int(width));
        return Alloc(name, max, length);
    }

    private Buffer Alloc(string name, long maxLength, string length)
    {
        int offset = _arenaLength;
        long end = offset + maxLength;
        end = (end + 15) / 16 * 16;
        if (end > int.MaxValue)
        {
            throw new InvalidOperationException("the training arena exceeds 2^31 floats at MaxBatch; lower MaxBatch or the maximum length");
        }

        _arenaLength = (int)end;
        var buffer = new Buffer(name, offset, maxLength, length);
        _buffers.Add(buffer);
        return buffer;
    }

    /// <summary>
    /// Inverted dropout on <paramref name="input"/> when <paramref name="probability"/> is positive: its own stream
    /// (the site index) and counter offset <c>__dropoutOffset</c> (advanced per optimizer step, so repeated
    /// <c>ComputeGradients</c> calls see the same masks); the identity in evaluation.
    /// </summary>
    private Buffer Dropout(string name, string title, Buffer input, Sequence? sequence, long width, float probability, List<string> forward, List<string> backward)
    {
        if (probability <= 0f)
        {
            return input;
        }

        Buffer output = Alloc(name, sequence, width);
        long maxLength = MaxRows(sequence) * width;
        string mask = "global::System.MemoryExtensions.AsSpan(__masks, " + Literals.Int(_maskLength) + ", " + output.Length + ")";
        _maskLength += maxLength;
        string p = Literals.Float(probability);
        string stream = Literals.Int(_dropoutSites++) + "UL";
        forward.Add(title + ": dropout p = " + Number(probability) + ", stream " + stream);
        forward.Add(K + "Dropout.Forward(" + output.A + ", " + mask + ", " + input.A + ", " + p + ", DropoutSeed, " + stream + ", __dropoutOffset, training, " + Pool + ");");
        backward.Add(title + ": dropout");
        backward.Add(K + "Dropout.Backward(" + input.D + ", " + output.D + ", " + mask + ", " + p + ", training);");
        return output;
    }

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

    private static string G(ParameterPlan parameter) => "g.Slice(" + Literals.Int(parameter.Offset) + ", " + Literals.Int(parameter.Length) + ")";

    internal static string P(ParameterPlan parameter, long start, long length) => "p.Slice(" + Literals.Int(parameter.Offset + start) + ", " + Literals.Int(length) + ")";

    private static string G(ParameterPlan parameter, long start, long length) => "g.Slice(" + Literals.Int(parameter.Offset + start) + ", " + Literals.Int(length) + ")";

    private static string Range(ParameterPlan parameter) => parameter.Name + " params[" + Literals.Int(parameter.Offset) + ".." + Literals.Int(parameter.Offset + parameter.Length) + ")";

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

    internal static string Span(string array, string length) => "global::System.MemoryExtensions.AsSpan(" + array + ", 0, " + length + ")";

    private static string Number(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private void Walk()
    {
        Dictionary<string, Flow> outputs = _outputs;
        foreach (LayerPlan layer in _plan.Layers)
        {
            int firstLine = _forward.Count;
            WalkLayer(layer, outputs);
            _layerLines[layer.Name] = (firstLine, _forward.Count);
        }

        Flow last = outputs[_plan.Layers[_plan.Layers.Count - 1].Name];
        Loss(last.Buffer, last.Sequence, last.Width);
    }

    private void WalkLayer(LayerPlan layer, Dictionary<string, Flow> outputs)
    {
        {
            string title = "// " + layer.Name + " (" + KnownNames.AttributeName(layer.Kind) + "): " + layer.Input.Compact + " -> " + layer.Output.Compact;
            var backward = new List<string>();
            if (layer.Kind == LayerKind.Input)
            {
                // Token ids are read by their embedding; feature vectors are copied into the arena by __Prepare.
                foreach ((InputPlan input, Buffer buffer) in _denseInputs)
                {
                    if (input.Name == layer.Name)
                    {
                        outputs[layer.Name] = new Flow(buffer, null, input.Features);
                    }
                }

                foreach (Sequence input in _sequences)
                {
                    if (input.Input.Name == layer.Name && input.Features is { } features)
                    {
                        outputs[layer.Name] = new Flow(features, input, input.Input.Features);
                    }
                }

                return;
            }

            if (layer.Kind == LayerKind.Embedding)
            {
                Sequence tokens = SequenceOf(layer.Options.Source!);
                ParameterPlan weight = LayerParameter(layer, ".weight")!;
                long vocab = weight.Shape[0];
                long dimension = weight.Shape[1];
                Buffer embedded = Alloc(layer.Path + ".output", tokens, dimension);
                _forward.Add(title + ", " + Range(weight));
                _forward.Add(K + "Embedding.Forward(" + embedded.A + ", " + P(weight) + ", " + tokens.Ids + ", " + Literals.Int(vocab) + ", " + Literals.Int(dimension) + ");");
                backward.Add(title);
                backward.Add(K + "Embedding.Backward(" + G(weight) + ", " + embedded.D + ", " + tokens.Ids + ", " + Literals.Int(vocab) + ", " + Literals.Int(dimension) + ");");
                outputs[layer.Name] = new Flow(embedded, tokens, dimension);
                _backward.Add(backward);
                return;
            }

            Flow from = outputs[layer.Options.Source!];
            Buffer current = from.Buffer;
            Sequence? sequence = from.Sequence;
            long width = from.Width;
            switch (layer.Kind)
            {
                case LayerKind.SinusoidalPositions:
                {
                    string table = "__sinusoid" + Literals.Int(SinusoidTables.Count);
                    SinusoidTables.Add((table, sequence!.MaxLength, width));
                    _sinusoidByLayer[layer.Name] = table;
                    Buffer output = Alloc(layer.Path + ".output", sequence, width);
                    _forward.Add(title + ": adds the fixed sinusoid table (" + Literals.Int(sequence.MaxLength) + " x " + Literals.Int(width) + ")");
                    _forward.Add(K + "SinusoidalPositions.Forward(" + output.A + ", " + current.A + ", " + table + ", B, " + sequence.T + ", " + Literals.Int(width) + ");");
                    backward.Add(title);
                    backward.Add(K + "SinusoidalPositions.Backward(" + current.D + ", " + output.D + ", B, " + sequence.T + ", " + Literals.Int(width) + ");");
                    current = output;
                    break;
                }

                case LayerKind.LearnedPositions:
                {
                    ParameterPlan weight = LayerParameter(layer, ".weight")!;
                    Buffer output = Alloc(layer.Path + ".output", sequence, width);
                    _forward.Add(title + ", " + Range(weight));
                    _forward.Add(K + "LearnedPositions.Forward(" + output.A + ", " + current.A + ", " + P(weight) + ", B, " + sequence!.T + ", " + Literals.Int(width) + ");");
                    backward.Add(title);
                    backward.Add(K + "LearnedPositions.Backward(" + current.D + ", " + G(weight) + ", " + output.D + ", B, " + sequence.T + ", " + Literals.Int(width) + ");");
                    current = output;
                    break;
                }

                case LayerKind.Dropout:
                    if (layer.Options.Dropout <= 0f)
                    {
                        _forward.Add(title + ": p = 0, the identity");
                        outputs[layer.Name] = from;
                        return;
                    }

                    current = Dropout(layer.Path + ".output", title, current, sequence, width, layer.Options.Dropout, _forward, backward);
                    break;
                case LayerKind.LayerNorm:
                    current = Norm(layer.Path, layer.Path, title, current, sequence, width, _forward, backward);
                    break;
                case LayerKind.BatchNorm:
                    current = BatchNorm(layer, title, current, sequence, width, backward);
                    break;
                case LayerKind.MultiHeadAttention:
                    current = MultiHeadAttention(layer, title, current, sequence!, width, layer.Options.Memory is { } attended ? outputs[attended] : null, backward);
                    break;
                case LayerKind.MeanPool:
                case LayerKind.FirstTokenPool:
                case LayerKind.LastTokenPool:
                {
                    string kind = K + "PoolingKind." + (layer.Kind == LayerKind.MeanPool ? "Mean" : layer.Kind == LayerKind.FirstTokenPool ? "First" : "Last");
                    Buffer output = Alloc(layer.Path + ".output", null, width);
                    _forward.Add(title);
                    _forward.Add(K + "Pooling.Forward(" + output.A + ", " + current.A + ", " + sequence!.Lengths + ", B, " + sequence.T + ", " + Literals.Int(width) + ", " + kind + ");");
                    backward.Add(title);
                    backward.Add(K + "Pooling.Backward(" + current.D + ", " + output.D + ", " + sequence.Lengths + ", B, " + sequence.T + ", " + Literals.Int(width) + ", " + kind + ");");
                    current = output;
                    sequence = null;
                    break;
                }

                case LayerKind.Dense:
                {
                    ParameterPlan weight = LayerParameter(layer, ".weight")!;
                    ParameterPlan? bias = LayerParameter(layer, ".bias");
                    long units = weight.Shape[0];
                    string comment = title + ", " + Range(weight) + (layer.Options.TiedTo is not null ? " (tied)" : string.Empty) + (bias is null ? string.Empty : ", " + Range(bias));
                    current = Linear(layer.Path, comment, current, sequence, width, units, weight, 0, bias, 0, layer.Options.Activation, _forward, backward);
                    width = units;
                    break;
                }

                case LayerKind.RecurrentEncoder:
                    current = RecurrentEncoder(layer, title, current, sequence!, width, backward);
                    width = layer.Options.Hidden * (layer.Options.Bidirectional ? 2 : 1);
                    break;
                case LayerKind.RecurrentDecoder:
                    current = RecurrentDecoder(layer, title, current, sequence!, width, outputs[layer.Options.Memory!], backward);
                    width = layer.Output.Last.Size;
                    break;
                case LayerKind.TransformerEncoder:
                case LayerKind.TransformerDecoder:
                {
                    Flow? memory = layer.Options.Memory is { } memoryName ? outputs[memoryName] : null;
                    current = Stack(layer, current, sequence!, width, memory);
                    outputs[layer.Name] = new Flow(current, sequence, width);
                    return;
                }

                default:
                    throw new InvalidOperationException("layer kind " + layer.Kind + " has no training code");
            }

            outputs[layer.Name] = new Flow(current, sequence, width);
            _backward.Add(backward);
        }
    }

    private static string CellKernel(int cell) => K + (cell == 0 ? "Rnn" : cell == 2 ? "Lstm" : "Gru");

    /// <summary>Stacked, optionally bidirectional RNN/GRU/LSTM layers; records the last layer's final state (forward then backward).</summary>
    private Buffer RecurrentEncoder(LayerPlan layer, string title, Buffer input, Sequence sequence, long inputWidth, List<string> backward)
    {
        LayerOptions options = layer.Options;
        string kernel = CellKernel(options.Cell);
        bool lstm = options.Cell == 2;
        long hidden = options.Hidden;
        long directions = options.Bidirectional ? 2 : 1;
        string H = Literals.Int(hidden);
        string T = sequence.T;
        string maxT = Literals.Int(sequence.MaxLength);
        string maxB = Literals.Int(_plan.MaxBatch);
        ScratchTerms.Add(kernel + ".ScratchLength(" + maxB + ", " + maxT + ", " + H + ")");
        string scratch = "__scratch.Span.Slice(0, " + kernel + ".ScratchLength(B, " + T + ", " + H + "))";
        _forward.Add(title + ": " + (lstm ? "LSTM" : options.Cell == 0 ? "RNN" : "GRU") + ", " + Literals.Int(options.Layers) + " layer(s)" + (directions == 2 ? ", bidirectional" : string.Empty));
        Buffer x = input;
        long width = inputWidth;
        Buffer? final = null;
        var blocks = new List<List<string>>();
        for (long k = 0; k < options.Layers; k++)
        {
            var outputs = new Buffer[directions];
            var finals = new Buffer[directions];
            for (long direction = 0; direction < directions; direction++)
            {
                string suffix = "_l" + Literals.Int(k) + (direction == 1 ? "_reverse" : string.Empty);
                string name = layer.Path + suffix;
                ParameterPlan wih = Parameter(layer.Path + ".weight_ih" + suffix);
                ParameterPlan whh = Parameter(layer.Path + ".weight_hh" + suffix);
                ParameterPlan bih = Parameter(layer.Path + ".bias_ih" + suffix);
                ParameterPlan bhh = Parameter(layer.Path + ".bias_hh" + suffix);
                Buffer output = Alloc(name + ".output", sequence, hidden);
                Buffer finalState = Alloc(name + ".final", null, hidden);
                Buffer? finalCell = lstm ? Alloc(name + ".final_cell", null, hidden) : null;
                string field = "__recurrentSaved" + Literals.Int(RecurrentSaved.Count);
                RecurrentSaved.Add((field, kernel + ".SavedLength(" + maxB + ", " + maxT + ", " + H + ")"));
                string saved = field + ".Span.Slice(0, " + kernel + ".SavedLength(B, " + T + ", " + H + "))";
                string dims = sequence.Lengths + ", B, " + T + ", " + Literals.Int(width) + ", " + H + ", " + (direction == 1 ? "true" : "false") + ", " + Pool;
                string at = "// " + layer.Name + " layer " + Literals.Int(k) + (direction == 1 ? " (backward direction)" : string.Empty) + ", " + Range(wih);
                _forward.Add(at);
                _forward.Add(kernel + ".Forward(" + output.A + ", " + finalState.A + ", " + (lstm ? finalCell!.A + ", " : string.Empty) + saved + ", " + scratch + ", " + x.A + ", default, " + (lstm ? "default, " : string.Empty) + P(wih) + ", " + P(whh) + ", " + P(bih) + ", " + P(bhh) + ", " + dims + ");");
                blocks.Add(
                [
                    at,
                    kernel + ".Backward(" + x.OptionalD + ", " + G(wih) + ", " + G(whh) + ", " + G(bih) + ", " + G(bhh) + ", default, " + (lstm ? "default, " : string.Empty) + scratch + ", " + output.D + ", " + finalState.D + ", " + (lstm ? finalCell!.D + ", " : string.Empty) + x.A + ", " + P(wih) + ", " + P(whh) + ", " + saved + ", " + dims + ");",
                ]);
                outputs[direction] = output;
                finals[direction] = finalState;
            }

            if (directions == 2)
            {
                Buffer joined = Alloc(layer.Path + "_l" + Literals.Int(k) + ".output", sequence, 2 * hidden);
                Buffer joinedFinal = Alloc(layer.Path + "_l" + Literals.Int(k) + ".final", null, 2 * hidden);
                _forward.Add("// " + layer.Name + " layer " + Literals.Int(k) + ": [forward; backward] states and final states");
                _forward.Add(K + "Concat.Forward(" + joined.A + ", " + outputs[0].A + ", " + outputs[1].A + ", " + sequence.BT + ", " + H + ", " + H + ");");
                _forward.Add(K + "Concat.Forward(" + joinedFinal.A + ", " + finals[0].A + ", " + finals[1].A + ", B, " + H + ", " + H + ");");
                blocks.Add(
                [
                    "// " + layer.Name + " layer " + Literals.Int(k) + ": split the concatenations",
                    K + "Concat.Backward(" + outputs[0].D + ", " + outputs[1].D + ", " + joined.D + ", " + sequence.BT + ", " + H + ", " + H + ");",
                    K + "Concat.Backward(" + finals[0].D + ", " + finals[1].D + ", " + joinedFinal.D + ", B, " + H + ", " + H + ");",
                ]);
                x = joined;
                final = joinedFinal;
            }
            else
            {
                x = outputs[0];
                final = finals[0];
            }

            width = hidden * directions;
        }

        for (int i = blocks.Count - 1; i >= 0; i--)
        {
            backward.AddRange(blocks[i]);
        }

        _finalStates[layer.Name] = (final!, hidden * directions);
        return x;
    }

    /// <summary>A teacher-forced recurrent decoder over the embedded decoder input, started from the encoder's final state.</summary>
    private Buffer RecurrentDecoder(LayerPlan layer, string title, Buffer input, Sequence sequence, long inputWidth, Flow memory, List<string> backward)
    {
        LayerOptions options = layer.Options;
        long hidden = options.Hidden;
        int attention = options.RecurrentAttention;
        Sequence source = memory.Sequence!;
        long m = memory.Width;
        (Buffer encoderFinal, long finalWidth) = _finalStates[options.Memory!];
        string cell = options.Cell == 0 ? "Rnn" : options.Cell == 2 ? "Lstm" : "Gru";
        string[] attentionNames = ["None", "Bahdanau", "LuongDot", "LuongGeneral"];
        string config = "__recurrentDecoder" + Literals.Int(RecurrentConfigs.Count);
        RecurrentConfigs.Add((config, "new " + K + "RecurrentDecoderConfig(" + K + "RecurrentDecoderCell." + cell + ", " + K + "DecoderAttention." + attentionNames[attention] + ", " + Literals.Int(inputWidth) + ", " + Literals.Int(hidden) + ", " + (attention == 0 ? "0" : Literals.Int(m)) + ", " + Literals.Int(options.AttentionSize) + ")"));
        RecurrentConfigByLayer[layer.Name] = config;
        string maxB = Literals.Int(_plan.MaxBatch);
        string sizes = "B, " + sequence.T + ", " + source.T + ", " + config;
        string maxSizes = maxB + ", " + Literals.Int(sequence.MaxLength) + ", " + Literals.Int(source.MaxLength) + ", " + config;
        string field = "__recurrentSaved" + Literals.Int(RecurrentSaved.Count);
        RecurrentSaved.Add((field, K + "RecurrentDecoder.SavedLength(" + maxSizes + ")"));
        ScratchTerms.Add(K + "RecurrentDecoder.ScratchLength(" + maxSizes + ")");
        string saved = field + ".Span.Slice(0, " + K + "RecurrentDecoder.SavedLength(" + sizes + "))";
        string scratch = "__scratch.Span.Slice(0, " + K + "RecurrentDecoder.ScratchLength(" + sizes + "))";

        // Initial state: the encoder's final state, through the bridge tanh(W_b f + b_b) when the widths differ.
        Buffer initial = encoderFinal;
        var bridgeBackward = new List<string>();
        if (finalWidth != hidden)
        {
            ParameterPlan bridgeWeight = Parameter(layer.Path + ".bridge.weight");
            initial = Linear(layer.Path + ".bridge", "// " + layer.Name + ".bridge: s0 = tanh(W_b f + b_b) from " + options.Memory + "'s final state, " + Range(bridgeWeight), encoderFinal, null, finalWidth, hidden, bridgeWeight, 0, Parameter(layer.Path + ".bridge.bias"), 0, 4, _forward, bridgeBackward);
        }

        Buffer output = Alloc(layer.Path + ".output", sequence, layer.Output.Last.Size);
        string parameters = DecoderParameters(layer, attention, "P");
        string gradients = DecoderParameters(layer, attention, "G");
        string memoryA = attention == 0 ? "default" : memory.Buffer.A;
        string memoryD = attention == 0 ? "default" : memory.Buffer.D;
        string lengths = sequence.Lengths + ", " + source.Lengths;
        _forward.Add(title + ": " + cell.ToUpperInvariant() + " decoder, attention " + attentionNames[attention] + " over " + options.Memory);
        _forward.Add(K + "RecurrentDecoder.Forward(" + output.A + ", " + saved + ", " + scratch + ", " + input.A + ", " + initial.A + ", default, " + memoryA + ", " + parameters + ", " + lengths + ", " + sizes + ", " + Pool + ");");
        backward.Add(title);
        backward.Add(K + "RecurrentDecoder.Backward(" + input.D + ", " + initial.D + ", default, " + memoryD + ", " + gradients + ", " + scratch + ", " + output.D + ", " + input.A + ", " + memoryA + ", " + parameters + ", " + saved + ", " + lengths + ", " + sizes + ", " + Pool + ");");
        backward.AddRange(bridgeBackward);
        return output;
    }

    /// <summary>A RecurrentDecoderParameters (<paramref name="kind"/> "P") or RecurrentDecoderGradients ("G") initializer for the layer's tensors.</summary>
    internal string DecoderParameters(LayerPlan layer, int attention, string kind)
    {
        string Slice(string suffix) => (kind == "P" ? P(Parameter(layer.Path + suffix)) : G(Parameter(layer.Path + suffix)));
        var parts = new List<string>
        {
            "WeightIh = " + Slice(".weight_ih"),
            "WeightHh = " + Slice(".weight_hh"),
            "BiasIh = " + Slice(".bias_ih"),
            "BiasHh = " + Slice(".bias_hh"),
        };
        if (attention == 1)
        {
            parts.Add("StateWeight = " + Slice(".attention.state_weight"));
            parts.Add("MemoryWeight = " + Slice(".attention.memory_weight"));
            parts.Add("ScoreVector = " + Slice(".attention.score"));
        }
        else if (attention >= 2)
        {
            if (attention == 3)
            {
                parts.Add("MemoryWeight = " + Slice(".attention.memory_weight"));
            }

            parts.Add("CombineWeight = " + Slice(".attention.combine_weight"));
        }

        return "new " + K + (kind == "P" ? "RecurrentDecoderParameters" : "RecurrentDecoderGradients") + " { " + string.Join(", ", parts) + " }";
    }

    private Buffer Norm(string name, string parameterPrefix, string title, Buffer input, Sequence? sequence, long width, List<string> forward, List<string> backward)
    {
        ParameterPlan weight = Parameter(parameterPrefix + ".weight");
        ParameterPlan bias = Parameter(parameterPrefix + ".bias");
        Buffer output = Alloc(name + ".output", sequence, width);
        Buffer mean = Alloc(name + ".mean", sequence, 1);
        Buffer rstd = Alloc(name + ".rstd", sequence, 1);
        string rows = Rows(sequence);
        forward.Add(title + ": LayerNorm, " + Range(weight) + ", " + Range(bias));
        forward.Add(K + "LayerNorm.Forward(" + output.A + ", " + mean.A + ", " + rstd.A + ", " + input.A + ", " + P(weight) + ", " + P(bias) + ", " + rows + ", " + Literals.Int(width) + ", pool: " + Pool + ");");
        backward.Add(title + ": LayerNorm");
        backward.Add(K + "LayerNorm.Backward(" + input.D + ", " + G(weight) + ", " + G(bias) + ", " + output.D + ", " + input.A + ", " + P(weight) + ", " + mean.A + ", " + rstd.A + ", " + rows + ", " + Literals.Int(width) + ", " + Pool + ");");
        return output;
    }

    private Buffer Linear(
        string name, string comment, Buffer input, Sequence? sequence, long inWidth, long units,
        ParameterPlan weight, long weightStart, ParameterPlan? bias, long biasStart, int activation,
        List<string> forward, List<string> backward)
    {
        string rows = Rows(sequence);
        Buffer output = Alloc(name, sequence, units);
        string w = P(weight, weightStart, units * inWidth);
        string dw = G(weight, weightStart, units * inWidth);
        string b = bias is null ? "default" : P(bias, biasStart, units);
        string db = bias is null ? "default" : G(bias, biasStart, units);
        string dims = rows + ", " + Literals.Int(inWidth) + ", " + Literals.Int(units);
        forward.Add(comment);
        backward.Add(comment);
        if (activation == 0)
        {
            forward.Add(K + "Linear.Forward(" + output.A + ", " + input.A + ", " + w + ", " + b + ", " + dims + ", pool: " + Pool + ");");
            backward.Add(K + "Linear.Backward(" + input.OptionalD + ", " + dw + ", " + db + ", " + output.D + ", " + input.A + ", " + w + ", " + dims + ", pool: " + Pool + ");");
        }
        else
        {
            Buffer pre = Alloc(name + ".pre_activation", sequence, units);
            LinearScratch = Math.Max(LinearScratch, MaxRows(sequence) * units);
            string act = ActivationKind(activation);
            forward.Add(K + "Linear.Forward(" + output.A + ", " + input.A + ", " + w + ", " + b + ", " + dims + ", " + act + ", " + pre.A + ", " + Pool + ");");
            backward.Add(K + "Linear.Backward(" + input.OptionalD + ", " + dw + ", " + db + ", " + output.D + ", " + input.A + ", " + w + ", " + dims + ", " + act + ", " + pre.A + ", __scratch.Span.Slice(0, " + rows + " * " + Literals.Int(units) + "), " + Pool + ");");
        }

        return output;
    }

    private Buffer Residual(string name, string title, Buffer input, Buffer branch, Sequence sequence, long width, List<string> forward, List<string> backward)
    {
        Buffer output = Alloc(name, sequence, width);
        forward.Add(title);
        forward.Add(K + "Residual.Forward(" + output.A + ", " + input.A + ", " + branch.A + ");");
        backward.Add(title);
        backward.Add(K + "Residual.Backward(" + input.D + ", " + branch.D + ", " + output.D + ");");
        return output;
    }

    /// <summary>The attention mask of a stack's self-attention over <paramref name="sequence"/>, and its name for the comment.</summary>
    private static (string Code, string Name) SelfMask(LayerOptions options, Sequence sequence)
    {
        var parts = new List<(string Factory, string With, string Name)>();
        if ((options.Mask & MaskCausal) != 0)
        {
            parts.Add(("Causal()", "WithCausal()", "causal"));
        }

        if ((options.Mask & MaskKeyPadding) != 0)
        {
            parts.Add(("KeyPadding(" + sequence.Lengths + ")", "WithKeyPadding(" + sequence.Lengths + ")", "key padding"));
        }

        if ((options.Mask & MaskLocalWindow) != 0)
        {
            string radius = Literals.Int(options.WindowRadius);
            parts.Add(("LocalWindow(" + radius + ")", "WithLocalWindow(" + radius + ")", "window radius " + radius));
        }

        if ((options.Mask & MaskGraph) != 0)
        {
            string allowed = Span(sequence.AdjacencyArray!, "B * " + sequence.T + " * " + sequence.T);
            parts.Add(("Adjacency(" + allowed + ")", "WithAdjacency(" + allowed + ")", "graph adjacency"));
        }

        if (parts.Count == 0)
        {
            return (K + "AttentionMask.None", "none");
        }

        var code = new System.Text.StringBuilder(K + "AttentionMask." + parts[0].Factory);
        var names = new List<string>();
        foreach ((string _, string with, string name) in parts)
        {
            names.Add(name);
        }

        for (int i = 1; i < parts.Count; i++)
        {
            code.Append('.').Append(parts[i].With);
        }

        return (code.ToString(), string.Join(" + ", names));
    }

    private Buffer Stack(LayerPlan layer, Buffer input, Sequence sequence, long width, Flow? memory)
    {
        LayerOptions options = layer.Options;
        long heads = options.Heads;
        long headDim = width / heads;
        long ff = options.FeedForward;
        (string mask, string maskName) = SelfMask(options, sequence);
        string scale = Literals.Float((float)(1.0 / Math.Sqrt(headDim)));
        string D = Literals.Int(width);
        bool cross = memory is not null;
        Buffer x = input;
        for (long l = 0; l < options.Layers; l++)
        {
            string prefix = layer.Path + ".layers." + Literals.Int(l) + ".";
            string at = "// " + layer.Name + ".Layer[" + Literals.Int(l) + "]";
            var forward = _forward;
            var backward = new List<string>();
            forward.Add(at + ": " + (options.NormFirst ? "pre-norm" : "post-norm") + " Transformer " + (cross ? "decoder " : string.Empty) + "layer [B," + sequence.T + "," + D + "], " + Literals.Int(heads) + " heads of " + Literals.Int(headDim) + ", mask " + maskName + (cross ? ", cross-attention to " + layer.Options.Memory + " (memory key padding)" : string.Empty) + ", ff " + Literals.Int(ff) + (options.Dropout > 0 ? ", dropout " + Number(options.Dropout) + " (on the attention probabilities, after each sublayer and in the FFN)" : string.Empty));
            forward.Add("{");
            forward.Add("    var mask = " + mask + ";");
            backward.Add(at + " (backward)");
            backward.Add("{");
            backward.Add("    var mask = " + mask + ";");
            if (cross)
            {
                string memoryMask = K + "AttentionMask.KeyPadding(" + memory!.Sequence!.Lengths + ")";
                forward.Add("    var memoryMask = " + memoryMask + ";");
                backward.Add("    var memoryMask = " + memoryMask + ";");
            }

            var fwd = new List<string>();
            var bwd = new List<List<string>>();

            // PyTorch's layer: each sublayer is x + dropoutN(f(normN(x))) (pre-norm) or normN(x + dropoutN(f(x))) (post-norm).
            int sublayer = 1;
            x = Sublayer(prefix, at, sublayer++, "self-attention", x, sequence, width, options, fwd, bwd, normed => SelfAttention(prefix + "self_attn", at + ".self_attn", normed, sequence, width, heads, headDim, scale, options.Dropout, fwd, bwd));
            if (cross)
            {
                x = Sublayer(prefix, at, sublayer++, "cross-attention", x, sequence, width, options, fwd, bwd, normed => CrossAttention(prefix + "multihead_attn", at + ".multihead_attn", normed, sequence, memory!, width, heads, headDim, scale, options.Dropout, fwd, bwd));
            }

            x = Sublayer(prefix, at, sublayer, "feed-forward", x, sequence, width, options, fwd, bwd, normed => FeedForward(prefix, at, normed, sequence, width, ff, options, fwd, bwd));

            foreach (string line in fwd)
            {
                forward.Add("    " + line);
            }

            forward.Add("}");
            for (int i = bwd.Count - 1; i >= 0; i--)
            {
                foreach (string line in bwd[i])
                {
                    backward.Add("    " + line);
                }
            }

            backward.Add("}");
            _backward.Add(backward);
        }

        if (options.NormFirst)
        {
            var nb = new List<string>();
            x = Norm(layer.Path + ".norm", layer.Path + ".norm", "// " + layer.Name + ".Norm (final, pre-norm stack)", x, sequence, width, _forward, nb);
            _backward.Add(nb);
        }

        return x;
    }

    /// <summary>
    /// One residual sublayer numbered <paramref name="index"/> (norm{index}, dropout{index}): pre-norm
    /// <c>x + dropout(f(norm(x)))</c>, post-norm <c>norm(x + dropout(f(x)))</c>. Backward blocks go to <paramref name="bwd"/> in forward order.
    /// </summary>
    private Buffer Sublayer(string prefix, string at, int index, string what, Buffer x, Sequence sequence, long width, LayerOptions options, List<string> fwd, List<List<string>> bwd, Func<Buffer, Buffer> body)
    {
        string norm = "norm" + Literals.Int(index);
        Buffer branchInput = x;
        if (options.NormFirst)
        {
            var nb = new List<string>();
            branchInput = Norm(prefix + norm, prefix + norm, at + "." + norm, x, sequence, width, fwd, nb);
            bwd.Add(nb);
        }

        Buffer branch = body(branchInput);
        var db = new List<string>();
        branch = Dropout(prefix + "dropout" + Literals.Int(index) + ".output", at + ".dropout" + Literals.Int(index), branch, sequence, width, options.Dropout, fwd, db);
        bwd.Add(db);
        var rb = new List<string>();
        Buffer sum = Residual(prefix + "residual" + Literals.Int(index), at + ": residual" + Literals.Int(index) + " = x + " + what, x, branch, sequence, width, fwd, rb);
        bwd.Add(rb);
        if (options.NormFirst)
        {
            return sum;
        }

        var pb = new List<string>();
        Buffer output = Norm(prefix + norm, prefix + norm, at + "." + norm, sum, sequence, width, fwd, pb);
        bwd.Add(pb);
        return output;
    }

    /// <summary>Self-attention of the module <paramref name="module"/> (<c>{module}.in_proj_weight</c>, ...): q, k, v projections of the input, then <see cref="AttentionCore"/> under the block's <c>mask</c>.</summary>
    private Buffer SelfAttention(string module, string title, Buffer input, Sequence sequence, long width, long heads, long headDim, string scale, float dropout, List<string> fwd, List<List<string>> bwd)
    {
        ParameterPlan inWeight = Parameter(module + ".in_proj_weight");
        ParameterPlan inBias = Parameter(module + ".in_proj_bias");
        var qkvBackward = new List<string>();
        string[] names = ["q", "k", "v"];
        var projections = new Buffer[3];
        for (int i = 0; i < 3; i++)
        {
            projections[i] = Linear(
                module + "." + names[i], title + " " + names[i] + " = x W_" + names[i] + "^T + b_" + names[i] + ", rows " + Literals.Int(i * width) + ".." + Literals.Int((i + 1) * width) + " of " + inWeight.Name,
                input, sequence, width, width, inWeight, i * width * width, inBias, i * width, 0, fwd, qkvBackward);
        }

        bwd.Add(qkvBackward);
        return AttentionCore(module, title, projections[0], projections[1], projections[2], sequence, sequence, "mask", width, heads, headDim, scale, dropout, fwd, bwd);
    }

    /// <summary>Cross-attention of the module <paramref name="module"/>: queries from the input, keys and values from the memory, under the block's <c>memoryMask</c>.</summary>
    private Buffer CrossAttention(string module, string title, Buffer input, Sequence sequence, Flow memory, long width, long heads, long headDim, string scale, float dropout, List<string> fwd, List<List<string>> bwd)
    {
        ParameterPlan inWeight = Parameter(module + ".in_proj_weight");
        ParameterPlan inBias = Parameter(module + ".in_proj_bias");
        var projectionBackward = new List<string>();
        Buffer q = Linear(
            module + ".q", title + " q = x W_q^T + b_q, rows 0.." + Literals.Int(width) + " of " + inWeight.Name,
            input, sequence, width, width, inWeight, 0, inBias, 0, 0, fwd, projectionBackward);
        Buffer k = Linear(
            module + ".k", title + " k = memory W_k^T + b_k, rows " + Literals.Int(width) + ".." + Literals.Int(2 * width) + " of " + inWeight.Name,
            memory.Buffer, memory.Sequence, width, width, inWeight, width * width, inBias, width, 0, fwd, projectionBackward);
        Buffer v = Linear(
            module + ".v", title + " v = memory W_v^T + b_v, rows " + Literals.Int(2 * width) + ".." + Literals.Int(3 * width) + " of " + inWeight.Name,
            memory.Buffer, memory.Sequence, width, width, inWeight, 2 * width * width, inBias, 2 * width, 0, fwd, projectionBackward);
        bwd.Add(projectionBackward);
        return AttentionCore(module, title, q, k, v, sequence, memory.Sequence!, "memoryMask", width, heads, headDim, scale, dropout, fwd, bwd);
    }

    /// <summary>
    /// softmax(q kᵀ · scale + mask) v over heads, then the output projection <c>{name}.out_proj</c>. With <paramref name="dropout"/>
    /// &gt; 0 (PyTorch's <c>nn.MultiheadAttention(dropout = p)</c>) the probabilities are dropped before they weight v, as a dropout
    /// site of its own (stream, mask region <c>[B, H, Tq, Tk]</c> in <c>__masks</c>, counter offset <c>__dropoutOffset</c>); the identity in evaluation.
    /// </summary>
    private Buffer AttentionCore(string name, string title, Buffer q, Buffer k, Buffer v, Sequence query, Sequence key, string mask, long width, long heads, long headDim, string scale, float dropout, List<string> fwd, List<List<string>> bwd)
    {
        _attentionShapes.Add((query, key));
        long maxProbabilities = _plan.MaxBatch * heads * query.MaxLength * key.MaxLength;
        Buffer probs = Alloc(name + ".probs", maxProbabilities, "B * " + Literals.Int(heads) + " * " + query.T + " * " + key.T);
        Buffer context = Alloc(name + ".context", query, width);
        string attentionDims = "B, " + query.T + ", " + key.T + ", " + Literals.Int(heads) + ", " + Literals.Int(headDim) + ", " + mask + ", " + scale;
        string forwardDropout = string.Empty, backwardDropout = string.Empty, comment = string.Empty;
        if (dropout > 0f)
        {
            string dropoutMask = "global::System.MemoryExtensions.AsSpan(__masks, " + Literals.Int(_maskLength) + ", " + probs.Length + ")";
            _maskLength += maxProbabilities;
            string p = Literals.Float(dropout);
            string stream = Literals.Int(_dropoutSites++) + "UL";
            comment = ", dropout p = " + Number(dropout) + " on the probabilities, stream " + stream;
            forwardDropout = ", " + dropoutMask + ", " + p + ", DropoutSeed, " + stream + ", __dropoutOffset, training";
            backwardDropout = ", " + dropoutMask + ", " + p + ", training";
        }

        fwd.Add(title + ": softmax(q k^T * " + scale + " + " + mask + ") v" + comment);
        fwd.Add(K + "Attention.Forward(" + context.A + ", " + probs.A + ", " + q.A + ", " + k.A + ", " + v.A + ", " + attentionDims + forwardDropout + ", " + Pool + ");");
        bwd.Add(
        [
            title + ": attention" + (dropout > 0f ? " (dropout on the probabilities)" : string.Empty),
            K + "Attention.Backward(" + q.D + ", " + k.D + ", " + v.D + ", " + context.D + ", " + q.A + ", " + k.A + ", " + v.A + ", " + probs.A + ", " + attentionDims + backwardDropout + ", __scratch.Span.Slice(0, " + K + "Attention.ScratchLength(" + query.T + ", " + key.T + ", " + Pool + ".ThreadCount)), " + Pool + ");",
        ]);
        var ob = new List<string>();
        ParameterPlan outWeight = Parameter(name + ".out_proj.weight");
        Buffer output = Linear(
            name + ".output", title + ".out_proj, " + Range(outWeight),
            context, query, width, width, outWeight, 0, Parameter(name + ".out_proj.bias"), 0, 0, fwd, ob);
        bwd.Add(ob);
        return output;
    }

    /// <summary>
    /// A standalone [MultiHeadAttention] (PyTorch's <c>nn.MultiheadAttention</c>, parameters <c>{path}.in_proj_weight</c>, ...):
    /// self-attention under the declared mask, or cross-attention to the memory with the memory's key padding. No residual, no norm.
    /// </summary>
    private Buffer MultiHeadAttention(LayerPlan layer, string title, Buffer input, Sequence sequence, long width, Flow? memory, List<string> backward)
    {
        LayerOptions options = layer.Options;
        long heads = options.Heads;
        long headDim = width / heads;
        string scale = Literals.Float((float)(1.0 / Math.Sqrt(headDim)));
        string at = "// " + layer.Name;
        string declaration;
        string what;
        if (memory is null)
        {
            (string mask, string maskName) = SelfMask(options, sequence);
            declaration = "var mask = " + mask + ";";
            what = "self-attention, mask " + maskName;
        }
        else
        {
            declaration = "var memoryMask = " + K + "AttentionMask.KeyPadding(" + memory.Sequence!.Lengths + ");";
            what = "cross-attention to " + options.Memory + " (memory key padding)";
        }

        var fwd = new List<string>();
        var bwd = new List<List<string>>();
        Buffer output = memory is null
            ? SelfAttention(layer.Path, at, input, sequence, width, heads, headDim, scale, options.Dropout, fwd, bwd)
            : CrossAttention(layer.Path, at, input, sequence, memory, width, heads, headDim, scale, options.Dropout, fwd, bwd);
        _forward.Add(title + ": " + what + ", " + Literals.Int(heads) + " heads of " + Literals.Int(headDim));
        _forward.Add("{");
        _forward.Add("    " + declaration);
        foreach (string line in fwd)
        {
            _forward.Add("    " + line);
        }

        _forward.Add("}");
        backward.Add(title + " (backward)");
        backward.Add("{");
        backward.Add("    " + declaration);
        for (int i = bwd.Count - 1; i >= 0; i--)
        {
            foreach (string line in bwd[i])
            {
                backward.Add("    " + line);
            }
        }

        backward.Add("}");
        return output;
    }

    /// <summary>
    /// [BatchNorm] over the last dimension (PyTorch's <c>nn.BatchNorm1d</c>, eps 1e-5): with <c>batchStatistics</c> the batch mean
    /// and biased variance normalize and the running statistics in the state block are updated (unbiased variance, the declared
    /// momentum); otherwise the running statistics normalize. On a sequence only the valid positions count: they are packed
    /// (<c>__Pack</c>), normalized as <c>n</c> rows and put back; padded positions give 0 and get no gradient.
    /// </summary>
    private Buffer BatchNorm(LayerPlan layer, string title, Buffer input, Sequence? sequence, long width, List<string> backward)
    {
        ParameterPlan weight = LayerParameter(layer, ".weight")!;
        ParameterPlan bias = LayerParameter(layer, ".bias")!;
        ParameterPlan runningMean = State(layer, ".running_mean");
        ParameterPlan runningVar = State(layer, ".running_var");
        string C = Literals.Int(width);
        Buffer output = Alloc(layer.Path + ".output", sequence, width);
        Buffer mean = Alloc(layer.Path + ".mean", width, C);
        Buffer rstd = Alloc(layer.Path + ".rstd", width, C);
        string running = "s.Slice(" + Literals.Int(runningMean.Offset) + ", " + C + "), s.Slice(" + Literals.Int(runningVar.Offset) + ", " + C + ")";
        string momentum = Literals.Float(layer.Options.Momentum);
        string comment = title + ", " + Range(weight) + ", " + Range(bias) + ", running statistics state[" + Literals.Int(runningMean.Offset) + ".." + Literals.Int(runningVar.Offset + runningVar.Length) + "), momentum " + Number(layer.Options.Momentum);
        if (sequence is null)
        {
            _forward.Add(comment + ": batch statistics (updating the running ones) when batchStatistics, else the running statistics");
            _forward.Add(K + "BatchNorm.Forward(" + output.A + ", " + mean.A + ", " + rstd.A + ", " + running + ", " + input.A + ", " + P(weight) + ", " + P(bias) + ", B, " + C + ", batchStatistics, " + momentum + ", pool: " + Pool + ");");
            backward.Add(title);
            backward.Add(K + "BatchNorm.Backward(" + input.D + ", " + G(weight) + ", " + G(bias) + ", " + output.D + ", " + input.A + ", " + P(weight) + ", " + mean.A + ", " + rstd.A + ", B, " + C + ", batchStatistics, " + Pool + ");");
            return output;
        }

        UsesPacking = true;
        string n = "n * " + C;
        Buffer packedInput = Alloc(layer.Path + ".packed_input", sequence, width) with { Length = n };
        Buffer packedOutput = Alloc(layer.Path + ".packed_output", sequence, width) with { Length = n };
        string positions = "int n = __Positions(" + sequence.Lengths + ", B);";
        string layout = sequence.T + ", " + sequence.Lengths + ", B, " + C;
        _forward.Add(comment + ": over the n valid positions of " + sequence.Input.Name + " (packed; padding is not counted and gives 0)");
        _forward.Add("{");
        _forward.Add("    " + positions);
        _forward.Add("    __Pack(" + packedInput.A + ", " + input.A + ", " + layout + ");");
        _forward.Add("    " + K + "BatchNorm.Forward(" + packedOutput.A + ", " + mean.A + ", " + rstd.A + ", " + running + ", " + packedInput.A + ", " + P(weight) + ", " + P(bias) + ", n, " + C + ", batchStatistics, " + momentum + ", pool: " + Pool + ");");
        _forward.Add("    __Unpack(" + output.A + ", " + packedOutput.A + ", " + layout + ");");
        _forward.Add("}");
        backward.Add(title);
        backward.Add("{");
        backward.Add("    " + positions);
        backward.Add("    __Pack(" + packedOutput.D + ", " + output.D + ", " + layout + ");");
        backward.Add("    " + K + "BatchNorm.Backward(" + packedInput.D + ", " + G(weight) + ", " + G(bias) + ", " + packedOutput.D + ", " + packedInput.A + ", " + P(weight) + ", " + mean.A + ", " + rstd.A + ", n, " + C + ", batchStatistics, " + Pool + ");");
        backward.Add("    __UnpackAdd(" + input.D + ", " + packedInput.D + ", " + layout + ");");
        backward.Add("}");
        return output;
    }

    /// <summary>The state buffer (running statistics) of <paramref name="layer"/> called <c>{path}{suffix}</c>.</summary>
    private static ParameterPlan State(LayerPlan layer, string suffix)
    {
        foreach (ParameterPlan state in layer.State)
        {
            if (state.Name == layer.Path + suffix)
            {
                return state;
            }
        }

        throw new InvalidOperationException("state '" + layer.Path + suffix + "' is not in the plan");
    }

    private Buffer FeedForward(string prefix, string at, Buffer input, Sequence sequence, long width, long ff, LayerOptions options, List<string> fwd, List<List<string>> bwd)
    {
        var l1 = new List<string>();
        Buffer hidden = Linear(
            prefix + "linear1.output", at + ".linear1 + activation, " + Range(Parameter(prefix + "linear1.weight")),
            input, sequence, width, ff, Parameter(prefix + "linear1.weight"), 0, Parameter(prefix + "linear1.bias"), 0, options.Activation, fwd, l1);
        bwd.Add(l1);
        var dh = new List<string>();
        hidden = Dropout(prefix + "dropout.output", at + ".dropout (FFN)", hidden, sequence, ff, options.Dropout, fwd, dh);
        bwd.Add(dh);
        var l2 = new List<string>();
        Buffer output = Linear(
            prefix + "linear2.output", at + ".linear2, " + Range(Parameter(prefix + "linear2.weight")),
            hidden, sequence, ff, width, Parameter(prefix + "linear2.weight"), 0, Parameter(prefix + "linear2.bias"), 0, 0, fwd, l2);
        bwd.Add(l2);
        return output;
    }

    private void Loss(Buffer logits, Sequence? sequence, long classes)
    {
        LogitsOffset = logits.Offset;
        if (Target.Kind == LossKind.Mse)
        {
            MeanSquaredError(logits, sequence, classes);
            return;
        }

        string rows = Rows(sequence);
        Buffer logProbs = Alloc("loss.log_probs", sequence, classes);
        string labels = sequence is not null ? Span("__labels", rows) : Span("batch.Labels", "B");
        string options = Literals.Float(Target.LabelSmoothing) + ", " + Literals.Int(Target.IgnoreIndex);
        _forward.Add("// Loss: cross-entropy over " + rows + " rows of " + Literals.Int(classes) + " classes, label smoothing " + Number(Target.LabelSmoothing) + ", ignore index " + Literals.Int(Target.IgnoreIndex));
        _forward.Add("__rows = " + rows + ";");
        _forward.Add("return " + K + "CrossEntropy.Forward(" + logProbs.A + ", " + logits.A + ", " + labels + ", " + rows + ", " + Literals.Int(classes) + ", " + options + ", " + Pool + ");");
        _backward.Add(
        [
            "// Loss: d logits = (softmax - smoothed one-hot) / counted rows",
            K + "CrossEntropy.Backward(" + logits.D + ", 1f, " + logProbs.A + ", " + labels + ", " + rows + ", " + Literals.Int(classes) + ", " + options + ", " + Pool + ");",
        ]);
    }

    /// <summary>
    /// [MseLoss]: <c>F.mse_loss</c> (mean over every element) of the head output against the batch's targets. Per position, only
    /// the valid positions count: predictions and targets are packed (<c>__Pack</c>) to the <c>n</c> positions below each row's
    /// length, so padding neither adds to the loss nor to the count, and gets no gradient.
    /// </summary>
    private void MeanSquaredError(Buffer predictions, Sequence? sequence, long width)
    {
        string W = Literals.Int(width);
        if (sequence is null)
        {
            string targets = Span("batch.Targets", "B * " + W);
            _forward.Add("// Loss: mean squared error over B rows of " + W + " values (mean over every element)");
            _forward.Add("__rows = B;");
            _forward.Add("return " + K + "MeanSquaredError.Forward(" + predictions.A + ", " + targets + ", B * " + W + ");");
            _backward.Add(
            [
                "// Loss: d predictions = 2 (predictions - targets) / (B * " + W + ")",
                K + "MeanSquaredError.Backward(" + predictions.D + ", 1f, " + predictions.A + ", " + targets + ", B * " + W + ");",
            ]);
            return;
        }

        UsesPacking = true;
        string n = "n * " + W;
        Buffer packed = Alloc("loss.packed_predictions", sequence, width) with { Length = n };
        Buffer packedTargets = Alloc("loss.packed_targets", sequence, width) with { Length = n };
        string positions = "int n = __Positions(" + sequence.Lengths + ", B);";
        string lengths = sequence.Lengths + ", B, " + W;
        string batchTargets = Span("batch.Targets", "B * " + Literals.Int(Target.MaxLength) + " * " + W);
        _forward.Add("// Loss: mean squared error over the n valid positions of " + sequence.Input.Name + ", " + W + " values each (packed: padding is not counted)");
        _forward.Add("{");
        _forward.Add("    " + positions);
        _forward.Add("    __Pack(" + packed.A + ", " + predictions.A + ", " + sequence.T + ", " + lengths + ");");
        _forward.Add("    __Pack(" + packedTargets.A + ", " + batchTargets + ", " + Literals.Int(Target.MaxLength) + ", " + lengths + ");");
        _forward.Add("    __rows = " + sequence.BT + ";");
        _forward.Add("    return " + K + "MeanSquaredError.Forward(" + packed.A + ", " + packedTargets.A + ", " + n + ");");
        _forward.Add("}");
        _backward.Add(
        [
            "// Loss: d predictions = 2 (predictions - targets) / (n * " + W + ") at the valid positions",
            "{",
            "    " + positions,
            "    " + K + "MeanSquaredError.Backward(" + packed.D + ", 1f, " + packed.A + ", " + packedTargets.A + ", " + n + ");",
            "    __UnpackAdd(" + predictions.D + ", " + packed.D + ", " + sequence.T + ", " + lengths + ");",
            "}",
        ]);
    }
}
