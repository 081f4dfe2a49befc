// A Transformer encoder classifier composed by hand from the runtime kernels: post-norm encoder
// layers (PyTorch's nn.TransformerEncoderLayer with dropout 0), ReLU feed-forward, key-padding mask,
// mean pool, dense head, cross-entropy. This is the code the generator writes from a declaration;
// it is kept as a readable reference of how the kernels compose, forward then backward in reverse.
using System;
using ModelDsl.Kernels;
using ModelDsl.Memory;
using ModelDsl.Optim;
using ModelDsl.Threading;

namespace ModelDsl.Examples.HandWritten;

/// <summary>Two post-norm encoder layers over token embeddings plus sinusoidal positions, mean-pooled into a 2-way classifier.</summary>
public sealed class EncoderClassifier : IDisposable
{
    public const int MaxBatch = 32, Vocab = 50, D = 64, Heads = 4, HeadDim = D / Heads, MaxLength = 24, FF = 128, Classes = 2, Layers = 2;

    // Parameter offsets (16-float aligned).
    private readonly BlockLayout _layout = new();
    private readonly BlockSegment _tokens;
    private readonly BlockSegment[] _inW = new BlockSegment[Layers], _inB = new BlockSegment[Layers], _outW = new BlockSegment[Layers], _outB = new BlockSegment[Layers],
        _l1W = new BlockSegment[Layers], _l1B = new BlockSegment[Layers], _l2W = new BlockSegment[Layers], _l2B = new BlockSegment[Layers],
        _n1W = new BlockSegment[Layers], _n1B = new BlockSegment[Layers], _n2W = new BlockSegment[Layers], _n2B = new BlockSegment[Layers];
    private readonly BlockSegment _headW, _headB;
    public readonly AlignedBlock Parameters, Gradients, State, Acts, DActs;
    private readonly float[] _positions = new float[MaxLength * D];
    private readonly Optimizer _optimizer;
    private readonly WorkerPool _pool;
    private long _step;

    // Activation plan (sized for MaxBatch * MaxLength rows).
    private const int N = MaxBatch * MaxLength;
    private readonly BlockLayout _acts = new();
    private readonly BlockSegment _emb, _x0, _pooled, _logits, _logProbs;
    private readonly BlockSegment[] _q = new BlockSegment[Layers], _k = new BlockSegment[Layers], _v = new BlockSegment[Layers], _probs = new BlockSegment[Layers],
        _ctx = new BlockSegment[Layers], _ao = new BlockSegment[Layers], _r1 = new BlockSegment[Layers], _h1 = new BlockSegment[Layers],
        _mean1 = new BlockSegment[Layers], _rstd1 = new BlockSegment[Layers], _pre1 = new BlockSegment[Layers], _f1 = new BlockSegment[Layers],
        _f2 = new BlockSegment[Layers], _r2 = new BlockSegment[Layers], _out = new BlockSegment[Layers], _mean2 = new BlockSegment[Layers], _rstd2 = new BlockSegment[Layers];
    private readonly BlockSegment _scratch;

    public EncoderClassifier(ulong seed, Optimizer optimizer, int threads)
    {
        _tokens = _layout.Add("tokens.weight", Vocab * D);
        for (int l = 0; l < Layers; l++)
        {
            string p = $"encoder.layers.{l}.";
            _inW[l] = _layout.Add(p + "self_attn.in_proj_weight", 3 * D * D);
            _inB[l] = _layout.Add(p + "self_attn.in_proj_bias", 3 * D);
            _outW[l] = _layout.Add(p + "self_attn.out_proj.weight", D * D);
            _outB[l] = _layout.Add(p + "self_attn.out_proj.bias", D);
            _l1W[l] = _layout.Add(p + "linear1.weight", FF * D);
            _l1B[l] = _layout.Add(p + "linear1.bias", FF);
            _l2W[l] = _layout.Add(p + "linear2.weight", D * FF);
            _l2B[l] = _layout.Add(p + "linear2.bias", D);
            _n1W[l] = _layout.Add(p + "norm1.weight", D);
            _n1B[l] = _layout.Add(p + "norm1.bias", D);
            _n2W[l] = _layout.Add(p + "norm2.weight", D);
            _n2B[l] = _layout.Add(p + "norm2.bias", D);
        }

        _headW = _layout.Add("head.weight", Classes * D);
        _headB = _layout.Add("head.bias", Classes);
        Parameters = new AlignedBlock(_layout);
        Gradients = new AlignedBlock(_layout);
        _optimizer = optimizer;
        State = new AlignedBlock(Math.Max(1, _optimizer.StateLength(_layout.TotalLength)));
        _optimizer.InitializeState(State.Span[..(int)_optimizer.StateLength(_layout.TotalLength)], _layout.TotalLength);
        _pool = threads == 1 ? WorkerPool.Serial : new WorkerPool(threads);

        _emb = _acts.Add("emb", N * D);
        _x0 = _acts.Add("x0", N * D);
        for (int l = 0; l < Layers; l++)
        {
            _q[l] = _acts.Add($"q{l}", N * D); _k[l] = _acts.Add($"k{l}", N * D); _v[l] = _acts.Add($"v{l}", N * D);
            _probs[l] = _acts.Add($"probs{l}", MaxBatch * Heads * MaxLength * MaxLength);
            _ctx[l] = _acts.Add($"ctx{l}", N * D); _ao[l] = _acts.Add($"ao{l}", N * D); _r1[l] = _acts.Add($"r1{l}", N * D);
            _h1[l] = _acts.Add($"h1{l}", N * D); _mean1[l] = _acts.Add($"mean1{l}", N); _rstd1[l] = _acts.Add($"rstd1{l}", N);
            _pre1[l] = _acts.Add($"pre1{l}", N * FF); _f1[l] = _acts.Add($"f1{l}", N * FF); _f2[l] = _acts.Add($"f2{l}", N * D);
            _r2[l] = _acts.Add($"r2{l}", N * D); _out[l] = _acts.Add($"out{l}", N * D); _mean2[l] = _acts.Add($"mean2{l}", N); _rstd2[l] = _acts.Add($"rstd2{l}", N);
        }

        _pooled = _acts.Add("pooled", MaxBatch * D);
        _logits = _acts.Add("logits", MaxBatch * Classes);
        _logProbs = _acts.Add("logProbs", MaxBatch * Classes);
        _scratch = _acts.Add("scratch", 4 * N * Math.Max(D, FF));
        Acts = new AlignedBlock(_acts);
        DActs = new AlignedBlock(_acts);
        SinusoidalPositions.Fill(_positions, MaxLength, D);
        Initialize(seed);
    }

    private void Initialize(ulong seed)
    {
        var p = Parameters.Span;
        ulong stream = 0;
        ModelDsl.Init.Initializers.Normal(p.Slice(_tokens.Offset, _tokens.Length), 0f, 1f, seed, stream++);
        for (int l = 0; l < Layers; l++)
        {
            ModelDsl.Init.Initializers.XavierUniform(p.Slice(_inW[l].Offset, _inW[l].Length), D, 3 * D, seed, stream++);
            ModelDsl.Init.Initializers.XavierUniform(p.Slice(_outW[l].Offset, _outW[l].Length), D, D, seed, stream++);
            ModelDsl.Init.Initializers.XavierUniform(p.Slice(_l1W[l].Offset, _l1W[l].Length), D, FF, seed, stream++);
            ModelDsl.Init.Initializers.XavierUniform(p.Slice(_l2W[l].Offset, _l2W[l].Length), FF, D, seed, stream++);
            p.Slice(_n1W[l].Offset, D).Fill(1f);
            p.Slice(_n2W[l].Offset, D).Fill(1f);
        }

        ModelDsl.Init.Initializers.XavierUniform(p.Slice(_headW.Offset, _headW.Length), D, Classes, seed, stream++);
    }

    private Span<float> P(BlockSegment s) => Parameters.Slice(s.Offset, s.Length);
    private Span<float> G(BlockSegment s) => Gradients.Slice(s.Offset, s.Length);
    private Span<float> A(BlockSegment s, int length) => Acts.Slice(s.Offset, length);
    private Span<float> DA(BlockSegment s, int length) => DActs.Slice(s.Offset, length);

    public float Forward(int[] tokens, int[] lengths, int[] labels, int B, int T)
    {
        int rows = B * T;
        var ids = tokens.AsSpan(0, rows);
        var mask = AttentionMask.KeyPadding(lengths.AsSpan(0, B));
        Embedding.Forward(A(_emb, rows * D), P(_tokens), ids, Vocab, D);
        SinusoidalPositions.Forward(A(_x0, rows * D), A(_emb, rows * D), _positions.AsSpan(0, T * D), B, T, D);
        var x = _x0;
        for (int l = 0; l < Layers; l++)
        {
            var pw = P(_inW[l]); var pb = P(_inB[l]);
            Linear.Forward(A(_q[l], rows * D), A(x, rows * D), pw[..(D * D)], pb[..D], rows, D, D, pool: _pool);
            Linear.Forward(A(_k[l], rows * D), A(x, rows * D), pw.Slice(D * D, D * D), pb.Slice(D, D), rows, D, D, pool: _pool);
            Linear.Forward(A(_v[l], rows * D), A(x, rows * D), pw.Slice(2 * D * D, D * D), pb.Slice(2 * D, D), rows, D, D, pool: _pool);
            Attention.Forward(A(_ctx[l], rows * D), A(_probs[l], B * Heads * T * T), A(_q[l], rows * D), A(_k[l], rows * D), A(_v[l], rows * D),
                B, T, T, Heads, HeadDim, mask, 1f / MathF.Sqrt(HeadDim), _pool);
            Linear.Forward(A(_ao[l], rows * D), A(_ctx[l], rows * D), P(_outW[l]), P(_outB[l]), rows, D, D, pool: _pool);
            Residual.Forward(A(_r1[l], rows * D), A(x, rows * D), A(_ao[l], rows * D));
            LayerNorm.Forward(A(_h1[l], rows * D), A(_mean1[l], rows), A(_rstd1[l], rows), A(_r1[l], rows * D), P(_n1W[l]), P(_n1B[l]), rows, D);
            Linear.Forward(A(_f1[l], rows * FF), A(_h1[l], rows * D), P(_l1W[l]), P(_l1B[l]), rows, D, FF, ActivationKind.ReLU, A(_pre1[l], rows * FF), _pool);
            Linear.Forward(A(_f2[l], rows * D), A(_f1[l], rows * FF), P(_l2W[l]), P(_l2B[l]), rows, FF, D, pool: _pool);
            Residual.Forward(A(_r2[l], rows * D), A(_h1[l], rows * D), A(_f2[l], rows * D));
            LayerNorm.Forward(A(_out[l], rows * D), A(_mean2[l], rows), A(_rstd2[l], rows), A(_r2[l], rows * D), P(_n2W[l]), P(_n2B[l]), rows, D);
            x = _out[l];
        }

        Pooling.Forward(A(_pooled, B * D), A(x, rows * D), lengths.AsSpan(0, B), B, T, D, PoolingKind.Mean);
        Linear.Forward(A(_logits, B * Classes), A(_pooled, B * D), P(_headW), P(_headB), B, D, Classes, pool: _pool);
        return CrossEntropy.Forward(A(_logProbs, B * Classes), A(_logits, B * Classes), labels.AsSpan(0, B), B, Classes);
    }

    public void Backward(int[] tokens, int[] lengths, int[] labels, int B, int T)
    {
        int rows = B * T;
        var mask = AttentionMask.KeyPadding(lengths.AsSpan(0, B));
        DActs.Clear();
        CrossEntropy.Backward(DA(_logits, B * Classes), 1f, A(_logProbs, B * Classes), labels.AsSpan(0, B), B, Classes);
        Linear.Backward(DA(_pooled, B * D), G(_headW), G(_headB), DA(_logits, B * Classes), A(_pooled, B * D), P(_headW), B, D, Classes, pool: _pool);
        var x = _out[Layers - 1];
        Pooling.Backward(DA(x, rows * D), DA(_pooled, B * D), lengths.AsSpan(0, B), B, T, D, PoolingKind.Mean);
        for (int l = Layers - 1; l >= 0; l--)
        {
            var input = l == 0 ? _x0 : _out[l - 1];
            LayerNorm.Backward(DA(_r2[l], rows * D), G(_n2W[l]), G(_n2B[l]), DA(_out[l], rows * D), A(_r2[l], rows * D), P(_n2W[l]), A(_mean2[l], rows), A(_rstd2[l], rows), rows, D);
            Residual.Backward(DA(_h1[l], rows * D), DA(_f2[l], rows * D), DA(_r2[l], rows * D));
            Linear.Backward(DA(_f1[l], rows * FF), G(_l2W[l]), G(_l2B[l]), DA(_f2[l], rows * D), A(_f1[l], rows * FF), P(_l2W[l]), rows, FF, D, pool: _pool);
            Linear.Backward(DA(_h1[l], rows * D), G(_l1W[l]), G(_l1B[l]), DA(_f1[l], rows * FF), A(_h1[l], rows * D), P(_l1W[l]), rows, D, FF, ActivationKind.ReLU, A(_pre1[l], rows * FF), DA(_scratch, rows * FF), _pool);
            LayerNorm.Backward(DA(_r1[l], rows * D), G(_n1W[l]), G(_n1B[l]), DA(_h1[l], rows * D), A(_r1[l], rows * D), P(_n1W[l]), A(_mean1[l], rows), A(_rstd1[l], rows), rows, D);
            Residual.Backward(DA(input, rows * D), DA(_ao[l], rows * D), DA(_r1[l], rows * D));
            Linear.Backward(DA(_ctx[l], rows * D), G(_outW[l]), G(_outB[l]), DA(_ao[l], rows * D), A(_ctx[l], rows * D), P(_outW[l]), rows, D, D, pool: _pool);
            Attention.Backward(DA(_q[l], rows * D), DA(_k[l], rows * D), DA(_v[l], rows * D), DA(_ctx[l], rows * D), A(_q[l], rows * D), A(_k[l], rows * D), A(_v[l], rows * D),
                A(_probs[l], B * Heads * T * T), B, T, T, Heads, HeadDim, mask, 1f / MathF.Sqrt(HeadDim), DA(_scratch, Attention.ScratchLength(T, T, _pool.ThreadCount)), _pool);
            var gw = G(_inW[l]); var gb = G(_inB[l]); var pw = P(_inW[l]);
            Linear.Backward(DA(input, rows * D), gw[..(D * D)], gb[..D], DA(_q[l], rows * D), A(input, rows * D), pw[..(D * D)], rows, D, D, pool: _pool);
            Linear.Backward(DA(input, rows * D), gw.Slice(D * D, D * D), gb.Slice(D, D), DA(_k[l], rows * D), A(input, rows * D), pw.Slice(D * D, D * D), rows, D, D, pool: _pool);
            Linear.Backward(DA(input, rows * D), gw.Slice(2 * D * D, D * D), gb.Slice(2 * D, D), DA(_v[l], rows * D), A(input, rows * D), pw.Slice(2 * D * D, D * D), rows, D, D, pool: _pool);
        }

        // x0 = emb + positions: positions are fixed, the embedding receives dX0.
        Embedding.Backward(G(_tokens), DA(_x0, rows * D), tokens.AsSpan(0, rows), Vocab, D);
    }

    public float Step(int[] tokens, int[] lengths, int[] labels, int B, int T, float lr)
    {
        Gradients.Clear();
        float loss = Forward(tokens, lengths, labels, B, T);
        Backward(tokens, lengths, labels, B, T);
        _optimizer.Step(Parameters.Span, Gradients.Span, State.Span[..(int)_optimizer.StateLength(_layout.TotalLength)], lr, ++_step);
        return loss;
    }

    /// <summary>The predicted class of row <paramref name="b"/> of the last forward pass.</summary>
    public int Predict(int b)
    {
        var logits = A(_logits, (b + 1) * Classes);
        return logits[b * Classes] >= logits[b * Classes + 1] ? 0 : 1;
    }

    public void Dispose()
    {
        Parameters.Dispose(); Gradients.Dispose(); State.Dispose(); Acts.Dispose(); DActs.Dispose();
        if (_pool != WorkerPool.Serial) _pool.Dispose();
    }
}
