using System;
using System.Numerics.Tensors;
using ModelDsl.Threading;

namespace ModelDsl.Kernels;

/// <summary>
/// The softmax-and-context half of one-query-per-sequence attention (an RNN decoder step): given scores
/// <c>[B, Tk]</c> computed any way (Luong dot <c>s·h</c> or general <c>s·W·h</c> through <see cref="Gemm"/>, or Bahdanau's
/// <see cref="AdditiveAttention"/>), <c>weights[b] = softmax(scores[b, 0..len_b))</c> and
/// <c>context[b] = Σ_j weights[b,j] · values[b,j,:]</c>.
/// </summary>
/// <remarks>
/// Key padding is given as per-batch valid lengths (<c>keyLengths</c>, empty = every key valid): keys
/// <c>j &gt;= keyLengths[b]</c> get weight 0 and no gradient. A batch element with length 0 gets a zero context,
/// zero weights and zero gradients. Work is split over batch elements; each writes only its own rows.
/// </remarks>
public static unsafe class SingleQueryAttention
{
    /// <summary>Forward: softmax of <paramref name="scores"/> over valid keys into <paramref name="weights"/>, then the weighted sum of values.</summary>
    /// <param name="context"><c>[B, Dv]</c>, overwritten.</param>
    /// <param name="weights"><c>[B, Tk]</c>, overwritten; saved for <see cref="Backward"/>.</param>
    /// <param name="scores"><c>[B, Tk]</c>.</param>
    /// <param name="values"><c>[B, Tk, Dv]</c>.</param>
    /// <param name="batch">B.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="valueDim">Dv.</param>
    /// <param name="keyLengths">Valid keys per batch element (<c>[B]</c>, each in <c>[0, Tk]</c>), or empty for none.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Forward(
        Span<float> context, Span<float> weights, ReadOnlySpan<float> scores, ReadOnlySpan<float> values,
        int batch, int keyLength, int valueDim, ReadOnlySpan<int> keyLengths = default, WorkerPool? pool = null)
    {
        Guard.Positive(batch);
        Guard.Positive(keyLength);
        Guard.Positive(valueDim);
        Guard.Length(context, (long)batch * valueDim);
        Guard.Length(weights, (long)batch * keyLength);
        Guard.Length(scores, (long)batch * keyLength);
        Guard.Length(values, (long)batch * keyLength * valueDim);
        CheckKeyLengths(keyLengths, batch, keyLength);
        scores.CopyTo(weights);
        fixed (float* c = context, w = weights, h = values)
        fixed (int* lengths = keyLengths)
        {
            var job = new Job { Context = c, Weights = w, Values = h, KeyLengths = keyLengths.IsEmpty ? null : lengths, KeyLength = keyLength, ValueDim = valueDim };
            Run(batch, &ForwardBatch, &job, pool);
        }
    }

    /// <summary>Backward: accumulates (<c>+=</c>) the gradients of the scores and the values.</summary>
    /// <param name="dScores"><c>[B, Tk]</c>, accumulated.</param>
    /// <param name="dValues"><c>[B, Tk, Dv]</c>, accumulated.</param>
    /// <param name="dContext"><c>[B, Dv]</c>.</param>
    /// <param name="values"><c>[B, Tk, Dv]</c>.</param>
    /// <param name="weights"><c>[B, Tk]</c> from <see cref="Forward"/>.</param>
    /// <param name="batch">B.</param>
    /// <param name="keyLength">Tk.</param>
    /// <param name="valueDim">Dv.</param>
    /// <param name="keyLengths">The lengths given to <see cref="Forward"/>.</param>
    /// <param name="pool">Threads to use; null runs on the calling thread.</param>
    public static void Backward(
        Span<float> dScores, Span<float> dValues, ReadOnlySpan<float> dContext, ReadOnlySpan<float> values, ReadOnlySpan<float> weights,
        int batch, int keyLength, int valueDim, ReadOnlySpan<int> keyLengths = default, WorkerPool? pool = null)
    {
        Guard.Positive(batch);
        Guard.Positive(keyLength);
        Guard.Positive(valueDim);
        Guard.Length(dScores, (long)batch * keyLength);
        Guard.Length(dValues, (long)batch * keyLength * valueDim);
        Guard.Length(dContext, (long)batch * valueDim);
        Guard.Length(values, (long)batch * keyLength * valueDim);
        Guard.Length(weights, (long)batch * keyLength);
        CheckKeyLengths(keyLengths, batch, keyLength);
        fixed (float* ds = dScores, dh = dValues, dc = dContext, h = values, w = weights)
        fixed (int* lengths = keyLengths)
        {
            var job = new Job
            {
                DScores = ds, DValues = dh, DContext = dc, Values = h, Weights = w,
                KeyLengths = keyLengths.IsEmpty ? null : lengths, KeyLength = keyLength, ValueDim = valueDim,
            };
            Run(batch, &BackwardBatch, &job, pool);
        }
    }

    /// <summary>Checks per-batch key lengths: empty, or one per batch element in <c>[0, keyLength]</c>.</summary>
    internal static void CheckKeyLengths(ReadOnlySpan<int> keyLengths, int batch, int keyLength)
    {
        if (keyLengths.IsEmpty)
        {
            return;
        }

        Guard.Length(keyLengths, batch);
        for (int b = 0; b < keyLengths.Length; b++)
        {
            if ((uint)keyLengths[b] > (uint)keyLength)
            {
                ThrowKeyLength(b, keyLengths[b], keyLength);
            }
        }
    }

    internal static void Run(int batch, delegate*<void*, int, void> body, void* job, WorkerPool? pool)
    {
        if (pool is null)
        {
            for (int b = 0; b < batch; b++)
            {
                body(job, b);
            }
        }
        else
        {
            pool.Run(batch, body, job);
        }
    }

    /// <summary>
    /// One batch element: <paramref name="weights"/> holds the scores of <paramref name="keyLength"/> keys on entry and
    /// the softmax over the first <paramref name="valid"/> of them on exit (0 elsewhere); <paramref name="context"/> is overwritten.
    /// </summary>
    internal static void SoftmaxContext(float* context, float* weights, float* values, int keyLength, int valid, int valueDim)
    {
        new Span<float>(weights + valid, keyLength - valid).Clear();
        if (valid == 0)
        {
            new Span<float>(context, valueDim).Clear();
            return;
        }

        var row = new Span<float>(weights, valid);
        float max = TensorPrimitives.Max<float>(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        TensorPrimitives.Divide(row, TensorPrimitives.Sum<float>(row), row);
        Attention.WeightedRowSum(context, accumulate: false, weights, 1, values, valueDim, valid, valueDim);
    }

    /// <summary>
    /// One batch element's backward: <c>dScores[j] += w_j (dC·h_j − Σ_l w_l dC·h_l)</c> and <c>dValues[j] += w_j dC</c>
    /// for the first <paramref name="valid"/> keys.
    /// </summary>
    internal static void SoftmaxContextBackward(float* dScores, float* dValues, float* dContext, float* values, float* weights, int valid, int valueDim)
    {
        var dC = new ReadOnlySpan<float>(dContext, valueDim);
        float rowDot = 0f;
        for (int j = 0; j < valid; j++)
        {
            float* h = values + (long)j * valueDim;
            float w = weights[j];
            float dw = Attention.Dot(dContext, h, valueDim);
            dScores[j] += w * dw;
            rowDot += w * dw;
            var dh = new Span<float>(dValues + (long)j * valueDim, valueDim);
            TensorPrimitives.MultiplyAdd(dC, w, dh, dh);
        }

        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(weights, valid), -rowDot, new ReadOnlySpan<float>(dScores, valid), new Span<float>(dScores, valid));
    }

    private struct Job
    {
        public float* Context, Weights, Values, DScores, DValues, DContext;
        public int* KeyLengths;
        public int KeyLength, ValueDim;
    }

    private static void ForwardBatch(void* context, int b)
    {
        ref readonly Job job = ref *(Job*)context;
        int valid = job.KeyLengths is null ? job.KeyLength : job.KeyLengths[b];
        SoftmaxContext(job.Context + (long)b * job.ValueDim, job.Weights + (long)b * job.KeyLength,
            job.Values + (long)b * job.KeyLength * job.ValueDim, job.KeyLength, valid, job.ValueDim);
    }

    private static void BackwardBatch(void* context, int b)
    {
        ref readonly Job job = ref *(Job*)context;
        int valid = job.KeyLengths is null ? job.KeyLength : job.KeyLengths[b];
        long rows = (long)b * job.KeyLength;
        SoftmaxContextBackward(job.DScores + rows, job.DValues + rows * job.ValueDim, job.DContext + (long)b * job.ValueDim,
            job.Values + rows * job.ValueDim, job.Weights + rows, valid, job.ValueDim);
    }

    private static void ThrowKeyLength(int b, int length, int keyLength) =>
        throw new ArgumentException($"keyLengths[{b}] is {length}; must be in [0, keyLength = {keyLength}].", "keyLengths");
}
