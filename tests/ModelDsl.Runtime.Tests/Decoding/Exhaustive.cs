using System;
using System.Collections.Generic;

namespace ModelDsl.Tests.Decoding;

/// <summary>Oracles by brute force: the greedy path, and the best of every sequence up to a length.</summary>
internal static class Exhaustive
{
    /// <summary>Wu et al. (2016): <c>lp(n) = ((5 + n) / 6)^α</c>, rounded to float as a float model would use it.</summary>
    public static float LengthPenalty(int generated, double alpha) => (float)Math.Pow((5.0 + generated) / 6.0, alpha);

    /// <summary>Follows the argmax (first on ties) from the start token until the end token or maxSteps tokens.</summary>
    public static Hypothesis Greedy(ISequenceModel model, int source, int start, int end, int maxSteps)
    {
        var prefix = new List<int> { start };
        var output = new float[model.Vocabulary];
        float logProbability = 0f;
        for (int step = 0; step < maxSteps; step++)
        {
            model.LogProbabilities(source, prefix.ToArray(), output);
            int best = 0;
            for (int t = 1; t < output.Length; t++)
            {
                if (output[t] > output[best])
                {
                    best = t;
                }
            }

            logProbability += output[best];
            if (best == end)
            {
                return new Hypothesis(prefix.ToArray()[1..], logProbability, logProbability, true);
            }

            prefix.Add(best);
        }

        return new Hypothesis(prefix.ToArray()[1..], logProbability, logProbability, false);
    }

    /// <summary>
    /// Enumerates every sequence: those ending with the end token after at most maxSteps tokens, and those of
    /// maxSteps tokens without it; returns the one of highest <c>logP / lp(n)</c> (n counts the end token).
    /// </summary>
    public static Hypothesis Best(ISequenceModel model, int source, int start, int end, int maxSteps, double alpha)
    {
        var all = All(model, source, start, end, maxSteps, alpha);
        Hypothesis best = all[0];
        foreach (Hypothesis h in all)
        {
            if (h.Score > best.Score)
            {
                best = h;
            }
        }

        return best;
    }

    /// <summary>Every sequence with a finite log-probability, scored as <see cref="Best"/> does.</summary>
    public static List<Hypothesis> All(ISequenceModel model, int source, int start, int end, int maxSteps, double alpha)
    {
        var found = new List<Hypothesis>();
        var prefix = new List<int> { start };
        Visit(0f);
        return found;

        void Visit(float logProbability)
        {
            var output = new float[model.Vocabulary];
            model.LogProbabilities(source, prefix.ToArray(), output);
            int generated = prefix.Count; // tokens after this one is appended, start excluded
            for (int t = 0; t < output.Length; t++)
            {
                float total = logProbability + output[t];
                if (float.IsNegativeInfinity(total))
                {
                    continue;
                }

                if (t == end)
                {
                    found.Add(new Hypothesis(prefix.ToArray()[1..], total, total / LengthPenalty(generated, alpha), true));
                }
                else if (generated == maxSteps)
                {
                    found.Add(new Hypothesis([.. prefix.ToArray()[1..], t], total, total / LengthPenalty(generated, alpha), false));
                }
                else
                {
                    prefix.Add(t);
                    Visit(total);
                    prefix.RemoveAt(prefix.Count - 1);
                }
            }
        }
    }

    /// <summary>The log-probability of <paramref name="tokens"/> (then the end token when <paramref name="ended"/>), summed in order.</summary>
    public static float LogProbability(ISequenceModel model, int source, int start, ReadOnlySpan<int> tokens, int end, bool ended)
    {
        var prefix = new List<int> { start };
        var output = new float[model.Vocabulary];
        float sum = 0f;
        for (int i = 0; i <= tokens.Length; i++)
        {
            if (i == tokens.Length && !ended)
            {
                break;
            }

            model.LogProbabilities(source, prefix.ToArray(), output);
            int next = i < tokens.Length ? tokens[i] : end;
            sum += output[next];
            prefix.Add(next);
        }

        return sum;
    }
}
