using System;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Parsing;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [TransformerDecoder]: a stack of causal self-attention, cross-attention to <c>Memory</c> (when given) and feed-forward
/// layers (PyTorch's <c>nn.TransformerDecoder</c>). The mask defaults to causal, which makes it autoregressive.
/// </summary>
internal sealed class TransformerDecoderLayer : TransformerStackLayer
{
    public static readonly TransformerDecoderLayer Instance = new();

    private TransformerDecoderLayer()
    {
    }

    public override LayerKind Kind => LayerKind.TransformerDecoder;

    public override string HandleType => "DecoderStack";

    protected override int DefaultMask => Masks.Causal;

    public override bool IsAutoregressive(LayerSpec layer) => (layer.Int("Mask", DefaultMask) & Masks.Causal) != 0;

    /// <summary>A causal stack decodes with cached keys and values; a window or graph mask does not (it is not a prefix rule).</summary>
    public override bool CanDecodeStep(LayerPlan layer) =>
        (layer.OptionsOf<StackOptions>().Mask & Masks.Causal) != 0 && (layer.OptionsOf<StackOptions>().Mask & (Masks.LocalWindow | Masks.Graph)) == 0;

    public override string? DecodeMemory(LayerPlan layer) => layer.Options.Memory;

    public override bool AttendsToMemoryWhenDecoding(LayerPlan layer) => layer.Options.Memory is not null;

    public override long DecodeBufferWidth(LayerPlan layer) => Math.Max(layer.Output.Last.Size, layer.OptionsOf<StackOptions>().FeedForward);

    public override long DecodeHeads(LayerPlan layer) => layer.OptionsOf<StackOptions>().Heads;

    public override long DecodeReorderWidth(LayerPlan layer, long maxSteps) => maxSteps * layer.Output.Last.Size;

    public override long DecodeMemoryProjectionWidth(LayerPlan layer) => layer.Output.Last.Size;

    /// <summary>Per layer of the stack: the self-attention key and value caches <c>[rows, steps, D]</c>, and the memory's cross-attention keys and values.</summary>
    public override void WriteDecoderFields(DecoderContext c, LayerPlan layer, int index)
    {
        for (long l = 0; l < layer.OptionsOf<StackOptions>().Layers; l++)
        {
            string id = Literals.Int(index) + "_" + Literals.Int(l);
            c.Writer.Line("private readonly float[] __selfK" + id + ";");
            c.Writer.Line("private readonly float[] __selfV" + id + ";");
            if (layer.Options.Memory is not null)
            {
                c.Writer.Line("private readonly float[] __crossK" + id + ";");
                c.Writer.Line("private readonly float[] __crossV" + id + ";");
            }
        }
    }

    public override void WriteDecoderAllocations(DecoderContext c, LayerPlan layer, int index)
    {
        string d = Literals.Int(layer.Output.Last.Size);
        for (long l = 0; l < layer.OptionsOf<StackOptions>().Layers; l++)
        {
            string id = Literals.Int(index) + "_" + Literals.Int(l);
            c.Writer.Line("__selfK" + id + " = new float[checked(rows * " + c.Steps + " * " + d + ")];");
            c.Writer.Line("__selfV" + id + " = new float[checked(rows * " + c.Steps + " * " + d + ")];");
            if (layer.Options.Memory is not null)
            {
                c.Writer.Line("__crossK" + id + " = new float[checked(rows * " + Literals.Int(c.MaxSource) + " * " + d + ")];");
                c.Writer.Line("__crossV" + id + " = new float[checked(rows * " + Literals.Int(c.MaxSource) + " * " + d + ")];");
            }
        }
    }

    /// <summary>The cross-attention keys and values of the memory, computed once per source batch and repeated per hypothesis.</summary>
    public override void WriteDecoderBegin(DecoderContext c, LayerPlan layer, int index)
    {
        if (layer.Options.Memory is not { } memoryLayer)
        {
            return;
        }

        long d = layer.Output.Last.Size;
        string D = Literals.Int(d);
        int offset = c.Training.Output(memoryLayer).Offset;
        c.Writer.Line("// " + layer.Name + ": keys and values of " + memoryLayer + " [B, S, " + D + "] for every layer's cross-attention, repeated for the width hypotheses of each source");
        for (long l = 0; l < layer.OptionsOf<StackOptions>().Layers; l++)
        {
            string id = Literals.Int(index) + "_" + Literals.Int(l);
            ParameterPlan weight = c.Training.Parameter(layer.Path + ".layers." + Literals.Int(l) + ".multihead_attn.in_proj_weight");
            ParameterPlan bias = c.Training.Parameter(layer.Path + ".layers." + Literals.Int(l) + ".multihead_attn.in_proj_bias");
            foreach ((string cache, long part) in new[] { ("__crossK" + id, 1L), ("__crossV" + id, 2L) })
            {
                c.Writer.Line(K + "Linear.Forward(" + AsSpan + "__memoryProjection, 0, B * S * " + D + "), a.Slice(" + Literals.Int(offset) + ", B * S * " + D + "), " + TrainingEmitter.P(weight, part * d * d, d * d) + ", " + TrainingEmitter.P(bias, part * d, d) + ", B * S, " + D + ", " + D + ", pool: __trainer.Pool);");
                c.Writer.Line("global::ModelDsl.Decoding.HypothesisRows.Repeat(__memoryProjection, " + cache + ", B, width, S * " + D + ");");
            }
        }
    }

    public override void WriteDecodeStep(DecoderContext c, LayerPlan layer, int index, string title)
    {
        bool lastStackWithMemory = layer.Options.Memory is not null && c.LastAttention == layer;
        c.Current = WriteStepStack(c, layer, index, c.Current, c.Width, lastStackWithMemory);
    }

    /// <summary>The caches follow their hypotheses: row r takes row sources[r]'s first <c>steps</c> positions.</summary>
    public override void WriteDecoderReorder(DecoderContext c, LayerPlan layer, int index)
    {
        string D = Literals.Int(layer.Output.Last.Size);
        for (long l = 0; l < layer.OptionsOf<StackOptions>().Layers; l++)
        {
            string id = Literals.Int(index) + "_" + Literals.Int(l);
            c.Writer.Line("global::ModelDsl.Decoding.HypothesisRows.Gather(__selfK" + id + ", sources, steps * " + D + ", " + c.Steps + " * " + D + ", __reorder);");
            c.Writer.Line("global::ModelDsl.Decoding.HypothesisRows.Gather(__selfV" + id + ", sources, steps * " + D + ", " + c.Steps + " * " + D + ", __reorder);");
        }
    }

    /// <summary>The last stack's cross-attention weights, averaged over heads, are kept per row and step.</summary>
    public override void WriteAttentionRecorder(DecoderContext c, LayerPlan layer)
    {
        string heads = Literals.Int(layer.OptionsOf<StackOptions>().Heads);
        c.Writer.Line("/// <summary>Keeps the mean over heads of the cross-attention weights in <c>__probs</c> as row r's history at <paramref name=\"step\"/>.</summary>");
        c.Writer.Open("private void RecordAttention(int rows, int step)");
        c.Writer.Line("int S = __s;");
        c.Writer.Open("for (int r = 0; r < rows; r++)");
        c.Writer.Line("global::System.Span<float> history = " + AsSpan + "__history, ((r * " + c.Steps + ") + step) * " + Literals.Int(c.Decoding.MemorySequence!.MaxLength) + ", S);");
        c.Writer.Open("for (int j = 0; j < S; j++)");
        c.Writer.Line("float sum = 0f;");
        c.Writer.Open("for (int h = 0; h < " + heads + "; h++)");
        c.Writer.Line("sum += __probs[(((r * " + heads + ") + h) * S) + j];");
        c.Writer.Close();
        c.Writer.Line();
        c.Writer.Line("history[j] = sum / " + heads + "f;");
        c.Writer.Close();
        c.Writer.Close();
        c.Writer.Close();
        c.Writer.Line();
    }

    /// <summary>One decoder stack at one position; returns the buffer holding its output.</summary>
    private static string WriteStepStack(DecoderContext c, LayerPlan stack, int stackIndex, string current, long width, bool recordHistory)
    {
        StackOptions options = stack.OptionsOf<StackOptions>();
        long heads = options.Heads;
        long headDim = width / heads;
        string D = Literals.Int(width);
        string H = Literals.Int(heads);
        string steps = Literals.Int(c.Decoding.Target.MaxLength);
        string scale = Literals.Float((float)(1.0 / Math.Sqrt(headDim)));
        string RD = "R * " + D;
        string Buf(string array) => AsSpan + array + ", 0, " + RD + ")";
        for (long l = 0; l < options.Layers; l++)
        {
            string id = Literals.Int(stackIndex) + "_" + Literals.Int(l);
            string prefix = stack.Path + ".layers." + Literals.Int(l) + ".";
            bool cross = options.Memory is not null;
            c.Writer.Line("// " + stack.Name + ".Layer[" + Literals.Int(l) + "]: " + (options.NormFirst ? "pre-norm" : "post-norm") + ", self-attention over the cached positions 0..step" + (cross ? ", cross-attention to the encoder memory" : string.Empty));
            int index = 1;

            // Each sublayer: x + f(norm(x)) (pre-norm) or norm(x + f(x)) (post-norm); the residual adds in place.
            foreach (string sublayer in cross ? new[] { "self", "cross", "ff" } : new[] { "self", "ff" })
            {
                string norm = prefix + "norm" + Literals.Int(index);
                string input = current;
                if (options.NormFirst)
                {
                    c.WriteNorm(norm, current, "__n", width);
                    input = "__n";
                }

                switch (sublayer)
                {
                    case "self":
                    {
                        ParameterPlan w = c.Training.Parameter(prefix + "self_attn.in_proj_weight");
                        ParameterPlan b = c.Training.Parameter(prefix + "self_attn.in_proj_bias");
                        c.Writer.Line("// self-attention: q, k, v of this position; k and v join the cache at position step");
                        c.WriteLinear("__q", input, w, 0, b, 0, width, width, 0);
                        c.WriteLinear("__k", input, w, width * width, b, width, width, width, 0);
                        c.WriteLinear("__v", input, w, 2 * width * width, b, 2 * width, width, width, 0);
                        c.Writer.Open("for (int r = 0; r < R; r++)");
                        c.Writer.Line(AsSpan + "__k, r * " + D + ", " + D + ").CopyTo(" + AsSpan + "__selfK" + id + ", ((r * " + steps + ") + step) * " + D + ", " + D + "));");
                        c.Writer.Line(AsSpan + "__v, r * " + D + ", " + D + ").CopyTo(" + AsSpan + "__selfV" + id + ", ((r * " + steps + ") + step) * " + D + ", " + D + "));");
                        c.Writer.Close();
                        c.Writer.Line(K + "Attention.Forward(" + Buf("__c") + ", " + AsSpan + "__probs, 0, R * " + H + " * " + steps + "), " + Buf("__q") + ", " + AsSpan + "__selfK" + id + ", 0, R * " + steps + " * " + D + "), " + AsSpan + "__selfV" + id + ", 0, R * " + steps + " * " + D + "), R, 1, " + steps + ", " + H + ", " + Literals.Int(headDim) + ", " + K + "AttentionMask.KeyPadding(" + AsSpan + "__stepLengths, 0, R)), " + scale + ", pool);");
                        c.WriteLinear("__o", "__c", c.Training.Parameter(prefix + "self_attn.out_proj.weight"), 0, c.Training.Parameter(prefix + "self_attn.out_proj.bias"), 0, width, width, 0);
                        break;
                    }

                    case "cross":
                    {
                        ParameterPlan w = c.Training.Parameter(prefix + "multihead_attn.in_proj_weight");
                        ParameterPlan b = c.Training.Parameter(prefix + "multihead_attn.in_proj_bias");
                        c.Writer.Line("// cross-attention: queries of this position against the memory's keys and values from Begin");
                        c.WriteLinear("__q", input, w, 0, b, 0, width, width, 0);
                        c.Writer.Line(K + "Attention.Forward(" + Buf("__c") + ", " + AsSpan + "__probs, 0, R * " + H + " * __s), " + Buf("__q") + ", " + AsSpan + "__crossK" + id + ", 0, R * __s * " + D + "), " + AsSpan + "__crossV" + id + ", 0, R * __s * " + D + "), R, 1, __s, " + H + ", " + Literals.Int(headDim) + ", " + K + "AttentionMask.KeyPadding(" + AsSpan + "__sourceLengths, 0, R)), " + scale + ", pool);");
                        if (recordHistory && l == options.Layers - 1)
                        {
                            c.Writer.Line("RecordAttention(R, step);");
                        }

                        c.WriteLinear("__o", "__c", c.Training.Parameter(prefix + "multihead_attn.out_proj.weight"), 0, c.Training.Parameter(prefix + "multihead_attn.out_proj.bias"), 0, width, width, 0);
                        break;
                    }

                    default:
                    {
                        long ff = options.FeedForward;
                        c.Writer.Line("// feed-forward");
                        c.WriteLinear("__h", input, c.Training.Parameter(prefix + "linear1.weight"), 0, c.Training.Parameter(prefix + "linear1.bias"), 0, width, ff, options.Activation);
                        c.WriteLinear("__o", "__h", c.Training.Parameter(prefix + "linear2.weight"), 0, c.Training.Parameter(prefix + "linear2.bias"), 0, ff, width, 0);
                        break;
                    }
                }

                c.Writer.Line(K + "Residual.Forward(" + Buf(current) + ", " + Buf(current) + ", " + Buf("__o") + ");");
                if (!options.NormFirst)
                {
                    string other = current == "__x" ? "__y" : "__x";
                    c.WriteNorm(norm, current, other, width);
                    current = other;
                }

                index++;
            }
        }

        if (options.NormFirst)
        {
            string other = current == "__x" ? "__y" : "__x";
            c.Writer.Line("// " + stack.Name + ".Norm (final, pre-norm stack)");
            c.WriteNorm(stack.Path + ".norm", current, other, width);
            current = other;
        }

        return current;
    }
}
