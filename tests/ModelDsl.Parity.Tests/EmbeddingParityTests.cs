using System;
using ModelDsl.Embeddings;

namespace ModelDsl.Parity;

/// <summary>
/// The negative-sampling loss of word2vec against PyTorch (<c>-F.logsigmoid</c> of the signed scores, summed per example;
/// fixtures from <c>tests/parity/embeddings.py</c>): the loss of each example and the gradients of the batch's summed
/// loss with respect to every input and output vector.
/// </summary>
public sealed class EmbeddingParityTests
{
    private static readonly Fixture Embeddings = Fixture.Load("embeddings");

    public static TheoryData<string> Cases => Fixture.CaseNames("embeddings");

    [Theory]
    [MemberData(nameof(Cases))]
    public void NegativeSamplingLoss_MatchesTorch(string name)
    {
        var c = Embeddings.Config(name);
        int batch = c.GetProperty("batch").GetInt32(), d = c.GetProperty("dimension").GetInt32();
        int samples = c.GetProperty("negatives").GetInt32() + 1;
        float[] input = Embeddings.Floats(name, "input"), outputs = Embeddings.Floats(name, "outputs");
        var loss = new float[batch];
        var dInput = new float[input.Length];
        var dOutputs = new float[outputs.Length];
        for (int b = 0; b < batch; b++)
        {
            var h = input.AsSpan(b * d, d);
            var u = outputs.AsSpan(b * samples * d, samples * d);
            loss[b] = NegativeSamplingLoss.Forward(h, u, samples, d);
            NegativeSamplingLoss.Backward(dInput.AsSpan(b * d, d), dOutputs.AsSpan(b * samples * d, samples * d), 1f, h, u, samples, d);
        }

        // PyTorch reduces the dot products of up to 100 terms in its own order (einsum): loss and gradients differ by a few
        // float32 ulps of the scores, which can exceed assert_close's 1.3e-6 relative on losses near 30 (scale-2 case).
        Tolerance.Close(Embeddings.Floats(name, "out"), loss, "out", rtol: 1e-5, atol: 1e-5);
        Tolerance.Close(Embeddings.Floats(name, "grad.input"), dInput, "grad.input", rtol: 1e-5, atol: 1e-5);
        Tolerance.Close(Embeddings.Floats(name, "grad.outputs"), dOutputs, "grad.outputs", rtol: 1e-5, atol: 1e-5);
    }
}
