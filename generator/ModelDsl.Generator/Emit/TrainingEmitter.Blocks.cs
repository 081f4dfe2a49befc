using System;
using System.Collections.Generic;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// The building blocks the layer descriptors' training code shares, each a forward with its paired backward: linear
/// (with an activation epilogue), LayerNorm, residual, dropout, the attention core with its projections, the residual
/// sublayer and the feed-forward block of the Transformer stacks.
/// </summary>
internal sealed partial class TrainingEmitter
{
    /// <summary>
    /// Inverted dropout on <paramref name="input"/> when <paramref name="probability"/> is positive: its own stream
    /// (the site index) and counter offset <c>__dropoutOffset</c> (advanced per optimizer step, so repeated
    /// <c>ComputeGradients</c> calls see the same masks); the identity in evaluation.
    /// </summary>
    internal Buffer Dropout(string name, string title, Buffer input, Sequence? sequence, long width, float probability, List<string> forward, List<string> backward)
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
        forward.Add(title + ": dropout p = " + Number(probability) + ", stream " + stream + ", " + Dims(sequence, width));
        forward.Add(K + "Dropout.Forward(" + output.A + ", " + mask + ", " + input.A + ", " + p + ", DropoutSeed, " + stream + ", __dropoutOffset, training, " + Pool + ");");
        backward.Add(title + ": dropout");
        backward.Add(K + "Dropout.Backward(" + input.D + ", " + output.D + ", " + mask + ", " + p + ", training);");
        return output;
    }

    internal Buffer Linear(
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
        comment += ", " + Dims(sequence, inWidth) + " -> " + Dims(sequence, units);
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

    internal Buffer Norm(string name, string parameterPrefix, string title, Buffer input, Sequence? sequence, long width, List<string> forward, List<string> backward)
    {
        ParameterPlan weight = Parameter(parameterPrefix + ".weight");
        ParameterPlan bias = Parameter(parameterPrefix + ".bias");
        Buffer output = Alloc(name + ".output", sequence, width);
        Buffer mean = Alloc(name + ".mean", sequence, 1);
        Buffer rstd = Alloc(name + ".rstd", sequence, 1);
        string rows = Rows(sequence);
        forward.Add(title + ": LayerNorm " + Dims(sequence, width) + ", " + Range(weight) + ", " + Range(bias));
        forward.Add(K + "LayerNorm.Forward(" + output.A + ", " + mean.A + ", " + rstd.A + ", " + input.A + ", " + P(weight) + ", " + P(bias) + ", " + rows + ", " + Literals.Int(width) + ", pool: " + Pool + ");");
        backward.Add(title + ": LayerNorm " + Dims(sequence, width));
        backward.Add(K + "LayerNorm.Backward(" + input.D + ", " + G(weight) + ", " + G(bias) + ", " + output.D + ", " + input.A + ", " + P(weight) + ", " + mean.A + ", " + rstd.A + ", " + rows + ", " + Literals.Int(width) + ", " + Pool + ");");
        return output;
    }

    internal Buffer Residual(string name, string title, Buffer input, Buffer branch, Sequence sequence, long width, List<string> forward, List<string> backward)
    {
        Buffer output = Alloc(name, sequence, width);
        title += ", " + Dims(sequence, width);
        forward.Add(title);
        forward.Add(K + "Residual.Forward(" + output.A + ", " + input.A + ", " + branch.A + ", " + Pool + ");");
        backward.Add(title);
        backward.Add(K + "Residual.Backward(" + input.D + ", " + branch.D + ", " + output.D + ", " + Pool + ");");
        return output;
    }

    /// <summary>The attention mask of a stack's self-attention over <paramref name="sequence"/>, and its name for the comment.</summary>
    internal static (string Code, string Name) SelfMask(AttentionOptions options, Sequence sequence)
    {
        var parts = new List<(string Factory, string With, string Name)>();
        if ((options.Mask & Masks.Causal) != 0)
        {
            parts.Add(("Causal()", "WithCausal()", "causal"));
        }

        if ((options.Mask & Masks.KeyPadding) != 0)
        {
            parts.Add(("KeyPadding(" + sequence.Lengths + ")", "WithKeyPadding(" + sequence.Lengths + ")", "key padding"));
        }

        if ((options.Mask & Masks.LocalWindow) != 0)
        {
            string radius = Literals.Int(options.WindowRadius);
            parts.Add(("LocalWindow(" + radius + ")", "WithLocalWindow(" + radius + ")", "window radius " + radius));
        }

        if ((options.Mask & Masks.Graph) != 0)
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

    /// <summary>
    /// One residual sublayer numbered <paramref name="index"/> (norm{index}, dropout{index}): pre-norm
    /// <c>x + dropout(f(norm(x)))</c>, post-norm <c>norm(x + dropout(f(x)))</c>. Backward blocks go to <paramref name="bwd"/> in forward order.
    /// </summary>
    internal Buffer Sublayer(string prefix, string at, int index, string what, Buffer x, Sequence sequence, long width, StackOptions options, List<string> fwd, List<List<string>> bwd, Func<Buffer, Buffer> body)
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
        string residual = prefix + "residual" + Literals.Int(index);
        string title = at + ": residual" + Literals.Int(index) + " = x + " + what;
        if (options.NormFirst)
        {
            Buffer sum = Residual(residual, title, x, branch, sequence, width, fwd, rb);
            bwd.Add(rb);
            return sum;
        }

        Buffer output = ResidualNorm(residual, prefix + norm, title + ", then " + norm + " (one pass)", x, branch, sequence, width, fwd, rb);
        bwd.Add(rb);
        return output;
    }

    /// <summary>
    /// A post-norm sublayer's residual add and LayerNorm in one pass (<c>LayerNorm.ForwardResidual</c>): the sum buffer
    /// <paramref name="name"/> (the norm's saved input) and the norm's output, mean and rstd, allocated in the order of the
    /// separate residual and norm; the backward adds the sum's gradient straight to both inputs' gradients.
    /// </summary>
    internal Buffer ResidualNorm(string name, string norm, string title, Buffer input, Buffer branch, Sequence sequence, long width, List<string> forward, List<string> backward)
    {
        Buffer sum = Alloc(name, sequence, width);
        ParameterPlan weight = Parameter(norm + ".weight");
        ParameterPlan bias = Parameter(norm + ".bias");
        Buffer output = Alloc(norm + ".output", sequence, width);
        Buffer mean = Alloc(norm + ".mean", sequence, 1);
        Buffer rstd = Alloc(norm + ".rstd", sequence, 1);
        string rows = Rows(sequence), w = Literals.Int(width);
        title += ", LayerNorm " + Dims(sequence, width) + ", " + Range(weight) + ", " + Range(bias);
        forward.Add(title);
        forward.Add(K + "LayerNorm.ForwardResidual(" + output.A + ", " + sum.A + ", " + mean.A + ", " + rstd.A + ", " + input.A + ", " + branch.A + ", "
            + P(weight) + ", " + P(bias) + ", " + rows + ", " + w + ", pool: " + Pool + ");");
        backward.Add(title);
        backward.Add(K + "LayerNorm.BackwardResidual(" + input.D + ", " + branch.D + ", " + G(weight) + ", " + G(bias) + ", " + output.D + ", " + sum.A + ", "
            + P(weight) + ", " + mean.A + ", " + rstd.A + ", " + rows + ", " + w + ", " + Pool + ");");
        return output;
    }

    /// <summary>
    /// Self-attention of the module <paramref name="module"/> (<c>{module}.in_proj_weight</c>, ...): q, k and v as ONE projection
    /// of width 3·D (<c>in_proj_weight</c> is PyTorch's <c>[3D, D]</c> block, so its rows are already W_q, W_k, W_v one after
    /// the other; one GEMM forward, one dX and one dW GEMM backward), then <see cref="AttentionCore"/> under the block's
    /// <c>mask</c>, reading q, k and v as column blocks of the <c>[rows, 3D]</c> result (row stride 3D).
    /// </summary>
    internal Buffer SelfAttention(string module, string title, Buffer input, Sequence sequence, long width, long heads, long headDim, string scale, float dropout, List<string> fwd, List<List<string>> bwd)
    {
        ParameterPlan inWeight = Parameter(module + ".in_proj_weight");
        ParameterPlan inBias = Parameter(module + ".in_proj_bias");
        var qkvBackward = new List<string>();
        string d = Literals.Int(width);
        Buffer qkv = Linear(
            module + ".qkv", title + " [q|k|v] = x [W_q|W_k|W_v]^T + b, one GEMM over " + inWeight.Name + " [" + Literals.Int(3 * width) + ", " + d + "]",
            input, sequence, width, 3 * width, inWeight, 0, inBias, 0, 0, fwd, qkvBackward);
        bwd.Add(qkvBackward);
        var operands = new AttentionOperands(qkv, 0, qkv, width, qkv, 2 * width, 3 * width, 3 * width);
        return AttentionCore(module, title, operands, sequence, sequence, "mask", width, heads, headDim, scale, dropout, fwd, bwd);
    }

    /// <summary>
    /// Cross-attention of the module <paramref name="module"/>: queries from the input (rows 0..D of <c>in_proj_weight</c>), keys and
    /// values from the memory as ONE projection of width 2·D (rows D..3D, contiguous), under the block's <c>memoryMask</c>.
    /// </summary>
    internal Buffer CrossAttention(string module, string title, Buffer input, Sequence sequence, Flow memory, long width, long heads, long headDim, string scale, float dropout, List<string> fwd, List<List<string>> bwd)
    {
        ParameterPlan inWeight = Parameter(module + ".in_proj_weight");
        ParameterPlan inBias = Parameter(module + ".in_proj_bias");
        var projectionBackward = new List<string>();
        Buffer q = Linear(
            module + ".q", title + " q = x W_q^T + b_q, rows 0.." + Literals.Int(width) + " of " + inWeight.Name,
            input, sequence, width, width, inWeight, 0, inBias, 0, 0, fwd, projectionBackward);
        Buffer kv = Linear(
            module + ".kv", title + " [k|v] = memory [W_k|W_v]^T + b, one GEMM over rows " + Literals.Int(width) + ".." + Literals.Int(3 * width) + " of " + inWeight.Name,
            memory.Buffer, memory.Sequence, width, 2 * width, inWeight, width * width, inBias, width, 0, fwd, projectionBackward);
        bwd.Add(projectionBackward);
        var operands = new AttentionOperands(q, 0, kv, 0, kv, width, width, 2 * width);
        return AttentionCore(module, title, operands, sequence, memory.Sequence!, "memoryMask", width, heads, headDim, scale, dropout, fwd, bwd);
    }

    /// <summary>
    /// Where attention reads q, k and v: column <paramref name="QColumn"/> of <paramref name="QBuffer"/> (rows <paramref name="QStride"/>
    /// apart), columns <paramref name="KColumn"/> / <paramref name="VColumn"/> of <paramref name="KBuffer"/> / <paramref name="VBuffer"/>
    /// (rows <paramref name="KVStride"/> apart). The gradients live at the same places of the gradient arena.
    /// </summary>
    internal sealed record AttentionOperands(Buffer QBuffer, long QColumn, Buffer KBuffer, long KColumn, Buffer VBuffer, long VColumn, long QStride, long KVStride)
    {
        public string Q => View("a", QBuffer, QColumn);

        public string K => View("a", KBuffer, KColumn);

        public string V => View("a", VBuffer, VColumn);

        public string DQ => View("d", QBuffer, QColumn);

        public string DK => View("d", KBuffer, KColumn);

        public string DV => View("d", VBuffer, VColumn);

        public string Strides => Literals.Int(QStride) + ", " + Literals.Int(KVStride);

        /// <summary>The buffer from column <paramref name="column"/> of its first row to its end.</summary>
        private static string View(string arena, Buffer buffer, long column) => column == 0
            ? arena + ".Slice(" + ArenaClass + "." + buffer.Field + ", " + buffer.Length + ")"
            : arena + ".Slice(" + ArenaClass + "." + buffer.Field + " + " + Literals.Int(column) + ", " + buffer.Length + " - " + Literals.Int(column) + ")";
    }

    /// <summary>
    /// softmax(q kᵀ · scale + mask) v over heads, then the output projection <c>{name}.out_proj</c>. With <paramref name="dropout"/>
    /// &gt; 0 (PyTorch's <c>nn.MultiheadAttention(dropout = p)</c>) the probabilities are dropped before they weight v, as a dropout
    /// site of its own (stream, mask region <c>[B, H, Tq, Tk]</c> in <c>__masks</c>, counter offset <c>__dropoutOffset</c>); the identity in evaluation.
    /// </summary>
    internal Buffer AttentionCore(string name, string title, AttentionOperands x, Sequence query, Sequence key, string mask, long width, long heads, long headDim, string scale, float dropout, List<string> fwd, List<List<string>> bwd)
    {
        _attentionShapes.Add((query, key));
        long maxProbabilities = _plan.MaxBatch * heads * query.MaxLength * key.MaxLength;
        Buffer probs = Alloc(name + ".probs", maxProbabilities, "B * " + Literals.Int(heads) + " * " + query.T + " * " + key.T, ProbabilitiesShape(query, key, heads));
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

        string shapes = ", q " + Dims(query, width) + ", k v " + Dims(key, width) + " (row strides " + Literals.Int(x.QStride) + ", " + Literals.Int(x.KVStride) + ")"
            + ", probs [B," + Literals.Int(heads) + "," + query.T + "," + key.T + "]";
        fwd.Add(title + ": softmax(q k^T * " + scale + " + " + mask + ") v" + shapes + comment);
        fwd.Add(K + "Attention.Forward(" + context.A + ", " + probs.A + ", " + x.Q + ", " + x.K + ", " + x.V + ", " + x.Strides + ", " + attentionDims + forwardDropout + ", " + Pool + ");");
        bwd.Add(
        [
            title + ": attention" + (dropout > 0f ? " (dropout on the probabilities)" : string.Empty),
            K + "Attention.Backward(" + x.DQ + ", " + x.DK + ", " + x.DV + ", " + context.D + ", " + x.Q + ", " + x.K + ", " + x.V + ", " + x.Strides + ", " + probs.A + ", " + attentionDims + backwardDropout + ", __scratch.Span.Slice(0, " + K + "Attention.ScratchLength(" + query.T + ", " + key.T + ", " + Pool + ".ThreadCount)), " + Pool + ");",
        ]);
        var ob = new List<string>();
        ParameterPlan outWeight = Parameter(name + ".out_proj.weight");
        Buffer output = Linear(
            name + ".output", title + ".out_proj, " + Range(outWeight),
            context, query, width, width, outWeight, 0, Parameter(name + ".out_proj.bias"), 0, 0, fwd, ob);
        bwd.Add(ob);
        return output;
    }

    internal Buffer FeedForward(string prefix, string at, Buffer input, Sequence sequence, long width, long ff, StackOptions options, List<string> fwd, List<List<string>> bwd)
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
}
