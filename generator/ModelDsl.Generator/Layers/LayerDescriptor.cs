using ModelDsl.Generator.Common;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// Everything the generator knows about one layer kind, in one file per kind (see <c>docs/architecture.md</c>). The stages
/// (parser, planner, emitters) ask the descriptor of a layer instead of switching over <see cref="LayerKind"/>; only
/// <see cref="LayerRegistry"/> maps kinds and attribute names to descriptors. Descriptors hold no state: one instance per kind.
/// </summary>
internal abstract class LayerDescriptor
{
    /// <summary>The runtime's kernels namespace, as emitted.</summary>
    protected const string K = TrainingEmitter.K;

    /// <summary>The emitted worker pool the kernels run on.</summary>
    protected const string Pool = TrainingEmitter.Pool;

    /// <summary>The start of an emitted span over an array.</summary>
    protected const string AsSpan = DecoderContext.AsSpan;

    /// <summary>The kind this descriptor describes.</summary>
    public abstract LayerKind Kind { get; }

    /// <summary>The attribute's name as written, e.g. <c>TransformerEncoder</c>.</summary>
    public string AttributeName => Kind.ToString();

    /// <summary>The attribute class's metadata name without namespace, e.g. <c>TransformerEncoderAttribute</c>.</summary>
    public string AttributeClassName => AttributeName + "Attribute";

    /// <summary>The handle type (in namespace <c>ModelDsl</c>) the layer's property must have.</summary>
    public abstract string HandleType { get; }

    /// <summary>The handle type for a declaration with these arguments (inputs depend on them).</summary>
    public virtual string HandleTypeFor(EquatableArray<ArgumentSpec> arguments) => HandleType;

    /// <summary>Every handle type the kind may use (for recognizing a handle-typed property without an attribute).</summary>
    public virtual string[] HandleTypes => [HandleType];

    /// <summary>Whether the layer is a batch input (it reads no other layer; the generated Batch holds its data).</summary>
    public virtual bool IsInput => false;

    /// <summary>Whether the layer embeds token ids (it reads a token input; its vocabulary bounds the ids).</summary>
    public virtual bool EmbedsTokens => false;

    /// <summary>Whether the layer's output can be the class logits a cross-entropy loss reads.</summary>
    public virtual bool IsClassifierHead => false;

    /// <summary>Whether the layer, as declared, feeds its predictions back as its own next input (a causal or recurrent decoder).</summary>
    public virtual bool IsAutoregressive(LayerSpec layer) => false;

    /// <summary>
    /// The shape rule: checks the declaration against <see cref="LayerContext.Input"/>, reports each problem at its argument,
    /// and on success declares the output shape, parameters, state, activations, FLOPs and summary details with
    /// <c>Complete</c>.
    /// </summary>
    public abstract void Plan(LayerContext context);

    /// <summary>
    /// The resolved options the emitters read (defaults applied, each default written once, in the descriptor): the kind's own
    /// options record derived from <see cref="LayerOptions"/>, built on <paramref name="wiring"/> (source and memory).
    /// <paramref name="input"/> is the planned input shape.
    /// </summary>
    public virtual LayerOptions Options(LayerSpec layer, Shape input, LayerOptions wiring) => wiring;

    /// <summary>Null when the trainer emitter handles the planned layer; otherwise what is not supported, for MDSL2002.</summary>
    /// <param name="readsTokens">The layer reads a token input directly.</param>
    public virtual string? TrainingUnsupported(LayerPlan layer, bool readsTokens) =>
        layer.Options.Source is null || readsTokens
            ? "training code for a layer that reads a token input without an [Embedding] (" + layer.Name + ")"
            : null;

    /// <summary>Whether the layer's training forward takes the batch-statistics flag and reads the state block (BatchNorm).</summary>
    public virtual bool UsesBatchStatistics => false;

    /// <summary>
    /// Writes the layer's training code: its forward lines (<see cref="TrainingEmitter.ForwardLines"/>) and the paired backward
    /// block (<see cref="TrainingEmitter.AddBackward"/>, written in reverse order by the trainer), with buffers from the
    /// trainer's arena. Returns what the layer hands to the layers that read it (null: nothing, e.g. token ids).
    /// </summary>
    public virtual TrainingEmitter.Flow? EmitTraining(TrainingEmitter e, LayerPlan layer, string title) =>
        throw new System.InvalidOperationException("layer kind " + Kind + " has no training code");

    /// <summary>Whether the layer can run one position at a time on the decoded chain of a <c>StepDecoder</c>.</summary>
    public virtual bool CanDecodeStep(LayerPlan layer) => false;

    /// <summary>The layer whose output (computed once per source batch) a decoding step attends to, or null.</summary>
    public virtual string? DecodeMemory(LayerPlan layer) => null;

    /// <summary>Whether a decoding step of the layer attends to its memory (the last such layer's weights are kept for inspection).</summary>
    public virtual bool AttendsToMemoryWhenDecoding(LayerPlan layer) => false;

    /// <summary>The width of the <c>[R, width]</c> step buffers the layer needs (they are sized for the widest layer).</summary>
    public virtual long DecodeBufferWidth(LayerPlan layer) => layer.Output.Last.Size;

    /// <summary>Attention heads of a decoding step (the attention weights buffer is sized for the most).</summary>
    public virtual long DecodeHeads(LayerPlan layer) => 1;

    /// <summary>Floats per row the decoder's <c>Reorder</c> scratch needs for the layer's caches.</summary>
    public virtual long DecodeReorderWidth(LayerPlan layer, long maxSteps) => 1;

    /// <summary>Width of the memory projections <c>Begin</c> computes for the layer (1 when it computes none).</summary>
    public virtual long DecodeMemoryProjectionWidth(LayerPlan layer) => 1;

    /// <summary>The <c>StepDecoder</c> fields of the layer's caches; <paramref name="index"/> numbers the chain's layers of this kind.</summary>
    public virtual void WriteDecoderFields(DecoderContext c, LayerPlan layer, int index)
    {
    }

    /// <summary>The <c>StepDecoder</c> constructor's allocation of the layer's caches (for <c>rows</c> = maxRows).</summary>
    public virtual void WriteDecoderAllocations(DecoderContext c, LayerPlan layer, int index)
    {
    }

    /// <summary>The layer's part of <c>Begin(batch, width)</c>, after the encoder ran: caches computed once per source.</summary>
    public virtual void WriteDecoderBegin(DecoderContext c, LayerPlan layer, int index)
    {
    }

    /// <summary>The layer at one position in <c>Step</c>, reading <see cref="DecoderContext.Current"/> for the <c>R</c> rows.</summary>
    public virtual void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title) =>
        throw new System.InvalidOperationException("layer kind " + Kind + " has no decoding code");

    /// <summary>The layer's part of <c>Reorder</c>: its caches follow the hypotheses.</summary>
    public virtual void WriteDecoderReorder(DecoderContext c, LayerPlan layer, int index)
    {
    }

    /// <summary>For the last layer attending to the memory: the <c>StepDecoder</c> members that keep its weights, if it needs any.</summary>
    public virtual void WriteAttentionRecorder(DecoderContext c, LayerPlan layer)
    {
    }
}
