using System;
using System.Runtime.CompilerServices;
using ModelDsl.Randomness;

namespace ModelDsl.Init;

/// <summary>
/// Seeded parameter initializers with <c>torch.nn.init</c> semantics. Value <c>i</c> of a tensor is a
/// pure function of <c>(seed, stream, i)</c> through <see cref="CounterRandom"/>: give every tensor of a
/// model its own stream and its values depend on nothing else (not on other tensors, thread count or
/// call order). Uniform draws use <see cref="CounterRandom.UniformDouble"/> (counter <c>i</c>), normal
/// draws <see cref="CounterRandom.Normal"/> (counter <c>i</c>, which reads uniforms <c>2i</c> and <c>2i + 1</c>);
/// values are computed in double and rounded to float once.
/// </summary>
public static class Initializers
{
    /// <summary>
    /// Glorot/Xavier uniform, as <c>torch.nn.init.xavier_uniform_</c>: values uniform in
    /// <c>[-bound, bound)</c> with <c>bound = gain * sqrt(6 / (fanIn + fanOut))</c>.
    /// </summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="fanIn">Inputs per output (for a linear weight <c>[out, in]</c>: <c>in</c>).</param>
    /// <param name="fanOut">Outputs per input (for a linear weight: <c>out</c>).</param>
    /// <param name="seed">The model's seed.</param>
    /// <param name="stream">This tensor's stream.</param>
    /// <param name="gain">Scale for the nonlinearity that follows (see <see cref="Gain(Kernels.ActivationKind)"/>).</param>
    public static void XavierUniform(Span<float> tensor, int fanIn, int fanOut, ulong seed, ulong stream, float gain = 1f)
    {
        Guard.Positive(fanIn);
        Guard.Positive(fanOut);
        CheckNonNegative(gain);
        double bound = gain * Math.Sqrt(6.0 / ((double)fanIn + fanOut));
        FillUniform(tensor, -bound, bound, seed, stream);
    }

    /// <summary>
    /// Glorot/Xavier normal, as <c>torch.nn.init.xavier_normal_</c>: values from
    /// <c>N(0, std²)</c> with <c>std = gain * sqrt(2 / (fanIn + fanOut))</c>.
    /// </summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="fanIn">Inputs per output.</param>
    /// <param name="fanOut">Outputs per input.</param>
    /// <param name="seed">The model's seed.</param>
    /// <param name="stream">This tensor's stream.</param>
    /// <param name="gain">Scale for the nonlinearity that follows.</param>
    public static void XavierNormal(Span<float> tensor, int fanIn, int fanOut, ulong seed, ulong stream, float gain = 1f)
    {
        Guard.Positive(fanIn);
        Guard.Positive(fanOut);
        CheckNonNegative(gain);
        FillNormal(tensor, 0, gain * Math.Sqrt(2.0 / ((double)fanIn + fanOut)), seed, stream);
    }

    /// <summary>
    /// He/Kaiming uniform, as <c>torch.nn.init.kaiming_uniform_(tensor, a, mode='fan_in', nonlinearity='leaky_relu')</c>:
    /// values uniform in <c>[-bound, bound)</c> with <c>bound = gain * sqrt(3 / fanIn)</c> and
    /// <c>gain = sqrt(2 / (1 + negativeSlope²))</c>. The default slope 0 is the ReLU gain <c>sqrt(2)</c>;
    /// pass the fan-out for PyTorch's <c>mode='fan_out'</c>.
    /// </summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="fanIn">Inputs per output.</param>
    /// <param name="seed">The model's seed.</param>
    /// <param name="stream">This tensor's stream.</param>
    /// <param name="negativeSlope">Negative slope <c>a</c> of the leaky ReLU that follows (0 for ReLU).</param>
    public static void KaimingUniform(Span<float> tensor, int fanIn, ulong seed, ulong stream, float negativeSlope = 0f)
    {
        Guard.Positive(fanIn);
        double bound = LeakyReluGain(negativeSlope) * Math.Sqrt(3.0 / fanIn);
        FillUniform(tensor, -bound, bound, seed, stream);
    }

    /// <summary>
    /// He/Kaiming normal, as <c>torch.nn.init.kaiming_normal_(tensor, a, mode='fan_in', nonlinearity='leaky_relu')</c>:
    /// values from <c>N(0, std²)</c> with <c>std = gain / sqrt(fanIn)</c>, <c>gain = sqrt(2 / (1 + negativeSlope²))</c>.
    /// </summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="fanIn">Inputs per output.</param>
    /// <param name="seed">The model's seed.</param>
    /// <param name="stream">This tensor's stream.</param>
    /// <param name="negativeSlope">Negative slope <c>a</c> of the leaky ReLU that follows (0 for ReLU).</param>
    public static void KaimingNormal(Span<float> tensor, int fanIn, ulong seed, ulong stream, float negativeSlope = 0f)
    {
        Guard.Positive(fanIn);
        FillNormal(tensor, 0, LeakyReluGain(negativeSlope) / Math.Sqrt(fanIn), seed, stream);
    }

    /// <summary>
    /// PyTorch's default <c>nn.Linear</c> initialization: the weight <c>[outFeatures, inFeatures]</c> by
    /// <c>kaiming_uniform_(a=sqrt(5))</c>, which is uniform in <c>±1/sqrt(inFeatures)</c>, and the bias
    /// uniform in the same <c>±1/sqrt(inFeatures)</c>.
    /// </summary>
    /// <param name="weight">The weight, <c>outFeatures * inFeatures</c> floats.</param>
    /// <param name="bias">The bias, <c>outFeatures</c> floats, or empty for a layer without bias.</param>
    /// <param name="inFeatures">Input width (the fan-in).</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="seed">The model's seed.</param>
    /// <param name="weightStream">The weight's stream.</param>
    /// <param name="biasStream">The bias's stream.</param>
    public static void LinearDefault(Span<float> weight, Span<float> bias, int inFeatures, int outFeatures,
        ulong seed, ulong weightStream, ulong biasStream)
    {
        Guard.Positive(inFeatures);
        Guard.Positive(outFeatures);
        Guard.Length(weight, (long)inFeatures * outFeatures);
        if (!bias.IsEmpty)
        {
            Guard.Length(bias, outFeatures);
        }

        KaimingUniform(weight, inFeatures, seed, weightStream, MathF.Sqrt(5f));
        double bound = 1.0 / Math.Sqrt(inFeatures);
        FillUniform(bias, -bound, bound, seed, biasStream);
    }

    /// <summary>Values from <c>N(mean, std²)</c>, as <c>torch.nn.init.normal_</c>.</summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="mean">The mean.</param>
    /// <param name="std">The standard deviation, zero or greater.</param>
    /// <param name="seed">The model's seed.</param>
    /// <param name="stream">This tensor's stream.</param>
    public static void Normal(Span<float> tensor, float mean, float std, ulong seed, ulong stream)
    {
        CheckFinite(mean);
        CheckNonNegative(std);
        FillNormal(tensor, mean, std, seed, stream);
    }

    /// <summary>Values uniform in <c>[low, high)</c>, as <c>torch.nn.init.uniform_</c>.</summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="low">The lower bound.</param>
    /// <param name="high">The upper bound, not less than <paramref name="low"/>.</param>
    /// <param name="seed">The model's seed.</param>
    /// <param name="stream">This tensor's stream.</param>
    public static void Uniform(Span<float> tensor, float low, float high, ulong seed, ulong stream)
    {
        CheckFinite(low);
        CheckFinite(high);
        if (!(high >= low))
        {
            throw new ArgumentOutOfRangeException(nameof(high), high,
                FormattableString.Invariant($"{nameof(high)} must not be less than {nameof(low)} ({low}); got {high}."));
        }

        FillUniform(tensor, low, high, seed, stream);
    }

    /// <summary>Fills with 0.</summary>
    /// <param name="tensor">The tensor to fill.</param>
    public static void Zeros(Span<float> tensor) => tensor.Clear();

    /// <summary>Fills with 1.</summary>
    /// <param name="tensor">The tensor to fill.</param>
    public static void Ones(Span<float> tensor) => tensor.Fill(1f);

    /// <summary>Fills with <paramref name="value"/>.</summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="value">The value.</param>
    public static void Constant(Span<float> tensor, float value) => tensor.Fill(value);

    /// <summary>
    /// The recommended gain for a nonlinearity, as <c>torch.nn.init.calculate_gain</c>:
    /// 1 for identity and sigmoid, 5/3 for tanh, sqrt(2) for ReLU, sqrt(2 / (1 + 0.01²)) for leaky ReLU
    /// with PyTorch's default slope; GELU, absent from PyTorch's table, takes the ReLU gain.
    /// </summary>
    /// <param name="activation">The activation that follows the layer.</param>
    public static float Gain(Kernels.ActivationKind activation) => activation switch
    {
        Kernels.ActivationKind.None => 1f,
        Kernels.ActivationKind.Sigmoid => 1f,
        Kernels.ActivationKind.Tanh => 5f / 3f,
        Kernels.ActivationKind.ReLU or Kernels.ActivationKind.Gelu or Kernels.ActivationKind.GeluTanh => MathF.Sqrt(2f),
        Kernels.ActivationKind.LeakyReLU => (float)LeakyReluGain(0.01f),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, FormattableString.Invariant($"{nameof(activation)} {activation} has no known gain.")),
    };

    /// <summary>The leaky-ReLU gain <c>sqrt(2 / (1 + a²))</c> (sqrt(2) for a = 0).</summary>
    /// <param name="negativeSlope">The negative slope <c>a</c>.</param>
    public static double LeakyReluGain(float negativeSlope)
    {
        CheckFinite(negativeSlope);
        return Math.Sqrt(2.0 / (1.0 + (double)negativeSlope * negativeSlope));
    }

    private static void FillUniform(Span<float> tensor, double low, double high, ulong seed, ulong stream)
    {
        double width = high - low;
        for (int i = 0; i < tensor.Length; i++)
        {
            tensor[i] = (float)(low + width * CounterRandom.UniformDouble(seed, stream, (ulong)i));
        }
    }

    private static void FillNormal(Span<float> tensor, double mean, double std, ulong seed, ulong stream)
    {
        for (int i = 0; i < tensor.Length; i++)
        {
            tensor[i] = (float)(mean + std * CounterRandom.Normal(seed, stream, (ulong)i));
        }
    }

    private static void CheckFinite(float value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, FormattableString.Invariant($"{name} must be finite; got {value}."));
        }
    }

    private static void CheckNonNegative(float value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!(value >= 0) || !float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, FormattableString.Invariant($"{name} must be finite and zero or greater; got {value}."));
        }
    }
}
