using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelDsl.Tests.Decoding;

/// <summary>
/// Beam search written plainly over lists of prefixes, one source at a time, with the rules BeamSearch documents:
/// rank continuations by log-probability (stable sort: lower hypothesis, then lower token, on ties); end-token
/// continuations among the top <c>width</c> finish; the best <c>width</c> others among the top <c>2 width</c> stay
/// live; keep the <c>width</c> best finished (a newcomer replaces the first worst if strictly better); stop when
/// nothing is live or <c>width</c> are finished and <c>best live / lp(maxSteps)</c> is at most the worst finished;
/// at maxSteps the live hypotheses compete. No rows, no parent pointers, no Reorder.
/// </summary>
internal static class ReferenceBeam
{
    public static Hypothesis Run(ISequenceModel model, int source, int width, int start, int end, int maxSteps, double alpha)
    {
        var live = new List<(int[] Prefix, float LogProbability)> { ([start], 0f) };
        var finished = new List<Hypothesis>();
        float bound = Exhaustive.LengthPenalty(maxSteps, alpha);
        var output = new float[model.Vocabulary];
        bool done = false;
        for (int step = 0; step < maxSteps && !done; step++)
        {
            var candidates = new List<(int Parent, int Token, float LogProbability)>();
            for (int i = 0; i < live.Count; i++)
            {
                model.LogProbabilities(source, live[i].Prefix, output);
                for (int t = 0; t < output.Length; t++)
                {
                    float total = live[i].LogProbability + output[t];
                    if (total > float.NegativeInfinity)
                    {
                        candidates.Add((i, t, total));
                    }
                }
            }

            var ranked = candidates.OrderByDescending(c => c.LogProbability).Take(2 * width).ToList();
            var next = new List<(int[] Prefix, float LogProbability)>();
            for (int rank = 0; rank < ranked.Count && next.Count < width; rank++)
            {
                var (parent, token, total) = ranked[rank];
                if (token == end)
                {
                    if (rank < width)
                    {
                        Add(finished, width, new Hypothesis(live[parent].Prefix[1..], total,
                            total / Exhaustive.LengthPenalty(step + 1, alpha), true));
                    }

                    continue;
                }

                next.Add(([.. live[parent].Prefix, token], total));
            }

            live = next;
            done = live.Count == 0 ||
                (finished.Count == width && live[0].LogProbability / bound <= finished.Min(h => h.Score));
        }

        var pool = new List<Hypothesis>(finished);
        if (!done)
        {
            pool.AddRange(live.Select(h => new Hypothesis(h.Prefix[1..], h.LogProbability,
                h.LogProbability / Exhaustive.LengthPenalty(maxSteps, alpha), false)));
        }

        Hypothesis best = pool[0];
        foreach (Hypothesis h in pool)
        {
            if (h.Score > best.Score)
            {
                best = h;
            }
        }

        return best;
    }

    private static void Add(List<Hypothesis> finished, int width, Hypothesis hypothesis)
    {
        if (finished.Count < width)
        {
            finished.Add(hypothesis);
            return;
        }

        int worst = 0;
        for (int i = 1; i < finished.Count; i++)
        {
            if (finished[i].Score < finished[worst].Score)
            {
                worst = i;
            }
        }

        if (hypothesis.Score > finished[worst].Score)
        {
            finished[worst] = hypothesis;
        }
    }
}
