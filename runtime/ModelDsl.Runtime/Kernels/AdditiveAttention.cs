using System;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// Additive (Bahdanau) attention for one decoder step: <c>e[b,j] = vᵀ tanh(Ws[b] + Uh[b,j])</c>,
/// <c>weights[b] = softmax_j(e[b])</c> over valid keys, <c>context[b] = Σ_j weights[b,j] · h[b,j,:]</c>.
/// </summary>
/// <remarks>
/// <para>The projections are the caller's <see cref="Gemm"/> calls: <c>Ws = s·Wᵀ</c> <c>[B, A]</c> for the decoder state
/// at every step, and <c>Uh = h·Uᵀ</c> <c>[B, Tk, A]</c> once per source sequence. Gradients of W and U follow from
/// <c>dWs</c> and <c>dUh</c> through those Gemms.</para>
/// <para>Key padding is per-batch valid lengths (empty = all valid); padded keys get weight 0, no tanh
/// (their saved activations are 0) and no gradient. A batch element with length 0 gets a zero context.
/// Work is split over batch elements; <c>dv</c>, shared by the batch, is reduced afterwards in batch order.</para>
/// </remarks>
public static unsafe class AdditiveAttention
{
    /// <summary>Scratch floats <see cref="Backward"/> needs: the score gradients <c>[B, Tk]</c>.</summary>
    public static int ScratchLength(int batch, int keyLength)
    {
        Guard.Positive(batch);
        Guard.Positive(keyLength);
        return checked(batch * keyLength);
    }

    /// <summary>Forward pass; every output is overwritten.</summary>
    /// <param name="context"><c>[B, Dv]</c>.</param>
    /// <param name="tanhActivations"><c>[B, Tk, A]</c>: <c>tanh(Ws[b] + Uh[b,j])</c>, saved for <see cref="Backward"/>.</param>
    /// <param name="weights"><c>[B, Tk]</c>: the attention weights, saved for <see cref="Backward"/>.</param>
    /// <param name="ws"><c>[B, A]</c>: the projected decoder state.</param>
    /// <param name="uh"><c>[B, Tk, A]</c>: the projected encoder states.</param>
    /// <param name="v"><c>[A]</c>: the scoring vector.</param>
    /// <param name="h"><c>[B, Tk, Dv]</c>: the values (encoder states).</param>
    /// <param name="batch">B.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="attentionDim">A.</param>
    /// <param name="valueDim">Dv.</param>
    /// <param name="keyLengths">Valid keys per batch element (<c>[B]</c>, each in <c>[0, Tk]</c>), or empty for none.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Forward(
        Span<float> context, Span<float> tanhActivations, Span<float> weights,
        ReadOnlySpan<float> ws, ReadOnlySpan<float> uh, ReadOnlySpan<float> v, ReadOnlySpan<float> h,
        int batch, int keyLength, int attentionDim, int valueDim, ReadOnlySpan<int> keyLengths = default, WorkerPool? pool = null)
    {
        CheckDimensions(batch, keyLength, attentionDim, valueDim);
        Guard.Length(context, (long)batch * valueDim);
        Guard.Length(tanhActivations, (long)batch * keyLength * attentionDim);
        Guard.Length(weights, (long)batch * keyLength);
        Guard.Length(ws, (long)batch * attentionDim);
        Guard.Length(uh, (long)batch * keyLength * attentionDim);
        Guard.Length(v, attentionDim);
        Guard.Length(h, (long)batch * keyLength * valueDim);
        SingleQueryAttention.CheckKeyLengths(keyLengths, batch, keyLength);
        fixed (float* c = context, a = tanhActivations, w = weights, wsp = ws, uhp = uh, vp = v, hp = h)
        fixed (int* lengths = keyLengths)
        {
            var job = new Job
            {
                Context = c, Tanh = a, Weights = w, Ws = wsp, Uh = uhp, V = vp, H = hp,
                KeyLengths = keyLengths.IsEmpty ? null : lengths,
                KeyLength = keyLength, AttentionDim = attentionDim, ValueDim = valueDim,
            };
            SingleQueryAttention.Run(batch, &ForwardBatch, &job, pool);
        }
    }

    /// <summary>Backward pass: accumulates (<c>+=</c>) into <paramref name="dWs"/>, <paramref name="dUh"/>, <paramref name="dv"/> and <paramref name="dH"/>.</summary>
    /// <param name="dWs"><c>[B, A]</c>, accumulated.</param>
    /// <param name="dUh"><c>[B, Tk, A]</c>, accumulated.</param>
    /// <param name="dv"><c>[A]</c>, accumulated.</param>
    /// <param name="dH"><c>[B, Tk, Dv]</c>, accumulated.</param>
    /// <param name="dContext"><c>[B, Dv]</c>.</param>
    /// <param name="v"><c>[A]</c>.</param>
    /// <param name="h"><c>[B, Tk, Dv]</c>.</param>
    /// <param name="tanhActivations"><c>[B, Tk, A]</c> from <see cref="Forward"/>.</param>
    /// <param name="weights"><c>[B, Tk]</c> from <see cref="Forward"/>.</param>
    /// <param name="batch">B.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="attentionDim">A.</param>
    /// <param name="valueDim">Dv.</param>
    /// <param name="keyLengths">The lengths given to <see cref="Forward"/>.</param>
    /// <param name="scratch"><see cref="ScratchLength"/> floats; overwritten.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Backward(
        Span<float> dWs, Span<float> dUh, Span<float> dv, Span<float> dH,
        ReadOnlySpan<float> dContext, ReadOnlySpan<float> v, ReadOnlySpan<float> h,
        ReadOnlySpan<float> tanhActivations, ReadOnlySpan<float> weights,
        int batch, int keyLength, int attentionDim, int valueDim, ReadOnlySpan<int> keyLengths,
        Span<float> scratch, WorkerPool? pool = null)
    {
        CheckDimensions(batch, keyLength, attentionDim, valueDim);
        Guard.Length(dWs, (long)batch * attentionDim);
        Guard.Length(dUh, (long)batch * keyLength * attentionDim);
        Guard.Length(dv, attentionDim);
        Guard.Length(dH, (long)batch * keyLength * valueDim);
        Guard.Length(dContext, (long)batch * valueDim);
        Guard.Length(v, attentionDim);
        Guard.Length(h, (long)batch * keyLength * valueDim);
        Guard.Length(tanhActivations, (long)batch * keyLength * attentionDim);
        Guard.Length(weights, (long)batch * keyLength);
        Guard.Length(scratch, ScratchLength(batch, keyLength));
        SingleQueryAttention.CheckKeyLengths(keyLengths, batch, keyLength);
        scratch.Clear();
        fixed (float* dwsp = dWs, duhp = dUh, dhp = dH, dc = dContext, vp = v, hp = h, a = tanhActivations, w = weights, de = scratch)
        fixed (int* lengths = keyLengths)
        {
            var job = new Job
            {
                DWs = dwsp, DUh = duhp, DH = dhp, DContext = dc, V = vp, H = hp, Tanh = a, Weights = w, DScores = de,
                KeyLengths = keyLengths.IsEmpty ? null : lengths,
                KeyLength = keyLength, AttentionDim = attentionDim, ValueDim = valueDim,
            };
            SingleQueryAttention.Run(batch, &BackwardBatch, &job, pool);
        }

        // dv += Σ_b Σ_j de[b,j] · tanh[b,j,:], in a fixed order (padded keys have de = 0 and tanh = 0).
        for (int b = 0; b < batch; b++)
        {
            int valid = keyLengths.IsEmpty ? keyLength : keyLengths[b];
            for (int j = 0; j < valid; j++)
            {
                int row = b * keyLength + j;
                TensorPrimitives.MultiplyAdd(tanhActivations.Slice(row * attentionDim, attentionDim), scratch[row], dv, dv);
            }
        }
    }

    private static void CheckDimensions(int batch, int keyLength, int attentionDim, int valueDim)
    {
        Guard.Positive(batch);
        Guard.Positive(keyLength);
        Guard.Positive(attentionDim);
        Guard.Positive(valueDim);
    }

    /// <summary><c>dz = scale · v ∘ (1 − a²)</c>; <c>dUh += dz</c>, <c>dWs += dz</c>, vectorized with a scalar tail.</summary>
    private static void TanhBackward(float* dUh, float* dWs, float* v, float* a, float scale, int n)
    {
        int d = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(scale);
            for (; d + Vector256<float>.Count <= n; d += Vector256<float>.Count)
            {
                var av = Vector256.Load(a + d);
                var dz = s * Vector256.Load(v + d) * (Vector256<float>.One - (av * av));
                (Vector256.Load(dUh + d) + dz).Store(dUh + d);
                (Vector256.Load(dWs + d) + dz).Store(dWs + d);
            }
        }

        for (; d < n; d++)
        {
            float dz = scale * v[d] * (1f - (a[d] * a[d]));
            dUh[d] += dz;
            dWs[d] += dz;
        }
    }

    private struct Job
    {
        public float* Context, Tanh, Weights, Ws, Uh, V, H;
        public float* DWs, DUh, DH, DContext, DScores;
        public int* KeyLengths;
        public int KeyLength, AttentionDim, ValueDim;
    }

    private static void ForwardBatch(void* context, int b)
    {
        ref readonly Job job = ref *(Job*)context;
        int tk = job.KeyLength, dimA = job.AttentionDim;
        int valid = job.KeyLengths is null ? tk : job.KeyLengths[b];
        float* weights = job.Weights + (long)b * tk;
        var ws = new ReadOnlySpan<float>(job.Ws + (long)b * dimA, dimA);
        var v = new ReadOnlySpan<float>(job.V, dimA);
        for (int j = 0; j < tk; j++)
        {
            long row = ((long)b * tk + j) * dimA;
            var a = new Span<float>(job.Tanh + row, dimA);
            if (j >= valid)
            {
                a.Clear();
                continue;
            }

            TensorPrimitives.Add(ws, new ReadOnlySpan<float>(job.Uh + row, dimA), a);
            TensorPrimitives.Tanh(a, a);
            weights[j] = TensorPrimitives.Dot(v, a);
        }

        SingleQueryAttention.SoftmaxContext(job.Context + (long)b * job.ValueDim, weights, job.H + (long)b * tk * job.ValueDim, tk, valid, job.ValueDim);
    }

    private static void BackwardBatch(void* context, int b)
    {
        ref readonly Job job = ref *(Job*)context;
        int tk = job.KeyLength, dimA = job.AttentionDim, dimV = job.ValueDim;
        int valid = job.KeyLengths is null ? tk : job.KeyLengths[b];
        long keys = (long)b * tk;
        float* de = job.DScores + keys;
        SingleQueryAttention.SoftmaxContextBackward(de, job.DH + keys * dimV, job.DContext + (long)b * dimV, job.H + keys * dimV, job.Weights + keys, valid, dimV);

        // dz = de_j · v ∘ (1 − a²); dUh[b,j] += dz; dWs[b] += Σ_j dz.
        for (int j = 0; j < valid; j++)
        {
            long row = (keys + j) * dimA;
            float* a = job.Tanh + row, dUh = job.DUh + row;
            TanhBackward(dUh, job.DWs + (long)b * dimA, job.V, a, de[j], dimA);
        }
    }
}
