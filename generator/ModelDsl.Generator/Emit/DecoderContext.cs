using System.Collections.Generic;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// What a layer descriptor sees while the <c>StepDecoder</c> is written (<c>ModelEmitter.Decoder.cs</c>): the writer, the
/// training emitter (parameters, arena offsets), the decoding plan, and in <c>Step</c> the buffer holding the running
/// activations <c>[R, width]</c> (<c>__x</c> or <c>__y</c>, swapped by each layer that writes a new one).
/// </summary>
internal sealed class DecoderContext
{
    /// <summary>The runtime's kernels namespace, as emitted.</summary>
    public const string Kernels = TrainingEmitter.K;

    /// <summary>The start of an emitted span over an array.</summary>
    public const string AsSpan = TrainingEmitter.AsSpan;

    private readonly List<(LayerPlan Layer, int Index)> _layers = [];

    public DecoderContext(SourceWriter writer, TrainingEmitter training, DecodingPlan decoding, int maxBatch)
    {
        Writer = writer;
        Training = training;
        Decoding = decoding;
        MaxBatch = maxBatch;

        // Per-layer decoder state is written grouped by kind (in registry order), each layer numbered among its kind.
        foreach (LayerDescriptor descriptor in LayerRegistry.All)
        {
            int index = 0;
            foreach (LayerPlan layer in decoding.Chain)
            {
                if (layer.Descriptor == descriptor)
                {
                    _layers.Add((layer, index++));
                }
            }
        }

        foreach (LayerPlan layer in decoding.Chain)
        {
            if (layer.Descriptor.AttendsToMemoryWhenDecoding(layer))
            {
                LastAttention = layer;
            }
        }
    }

    public SourceWriter Writer { get; }

    public TrainingEmitter Training { get; }

    public DecodingPlan Decoding { get; }

    public int MaxBatch { get; }

    /// <summary>Positions decoded at most (the decoded input's maximum length), as emitted.</summary>
    public string Steps => Literals.Int(Decoding.Target.MaxLength);

    /// <summary>The source's maximum length (0 for a decoder-only model).</summary>
    public long MaxSource => Decoding.MemorySequence?.MaxLength ?? 0;

    /// <summary>The chain's layers grouped by kind in registry order, each with its index among the chain's layers of its kind.</summary>
    public IReadOnlyList<(LayerPlan Layer, int Index)> Layers => _layers;

    /// <summary>The last layer of the chain that attends to the memory (its weights are kept for inspection), or null.</summary>
    public LayerPlan? LastAttention { get; }

    /// <summary>In <c>Step</c>: the buffer holding the running activations.</summary>
    public string Current { get; set; } = "__x";

    /// <summary>In <c>Step</c>: the other activation buffer, which a layer writes before making it <see cref="Current"/>.</summary>
    public string Other => Current == "__x" ? "__y" : "__x";

    /// <summary>In <c>Step</c>: the width of <see cref="Current"/>.</summary>
    public long Width { get; set; }

    /// <summary>The index of <paramref name="layer"/> among the chain's layers of its kind.</summary>
    public int IndexOf(LayerPlan layer)
    {
        foreach ((LayerPlan candidate, int index) in _layers)
        {
            if (candidate == layer)
            {
                return index;
            }
        }

        throw new System.InvalidOperationException(layer.Name + " is not on the decoded chain");
    }

    /// <summary>Whether <paramref name="layer"/> is the head (the last layer of the chain).</summary>
    public bool IsHead(LayerPlan layer) => layer == Decoding.Chain[Decoding.Chain.Count - 1];

    /// <summary>A span over the first <paramref name="length"/> floats of <paramref name="array"/>.</summary>
    public static string Buffer(string array, string length) => AsSpan + array + ", 0, " + length + ")";

    /// <summary>LayerNorm over <c>R</c> rows of <paramref name="width"/> with the tensors <c>{prefix}.weight</c>, <c>{prefix}.bias</c>.</summary>
    public void WriteNorm(string prefix, string input, string output, long width)
    {
        string D = Literals.Int(width);
        Writer.Line(Kernels + "LayerNorm.Forward(" + AsSpan + output + ", 0, R * " + D + "), " + AsSpan + "__mean, 0, R), " + AsSpan + "__rstd, 0, R), " + AsSpan + input + ", 0, R * " + D + "), " + TrainingEmitter.P(Training.Parameter(prefix + ".weight")) + ", " + TrainingEmitter.P(Training.Parameter(prefix + ".bias")) + ", R, " + D + ", pool: pool);");
    }

    /// <summary>A linear layer over <c>R</c> rows (weight rows from <paramref name="weightStart"/>), with an optional activation.</summary>
    public void WriteLinear(string output, string input, ParameterPlan weight, long weightStart, ParameterPlan? bias, long biasStart, long inWidth, long units, int activation)
    {
        string w = TrainingEmitter.P(weight, weightStart, units * inWidth);
        string b = bias is null ? "default" : TrainingEmitter.P(bias, biasStart, units);
        string dims = "R, " + Literals.Int(inWidth) + ", " + Literals.Int(units);
        string o = AsSpan + output + ", 0, R * " + Literals.Int(units) + ")";
        string i = AsSpan + input + ", 0, R * " + Literals.Int(inWidth) + ")";
        if (activation == 0)
        {
            Writer.Line(Kernels + "Linear.Forward(" + o + ", " + i + ", " + w + ", " + b + ", " + dims + ", pool: pool);");
        }
        else
        {
            Writer.Line(Kernels + "Linear.Forward(" + o + ", " + i + ", " + w + ", " + b + ", " + dims + ", " + TrainingEmitter.ActivationKind(activation) + ", " + AsSpan + "__pre, 0, R * " + Literals.Int(units) + "), pool);");
        }
    }
}
