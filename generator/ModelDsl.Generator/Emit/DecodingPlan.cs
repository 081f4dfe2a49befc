using System;
using System.Collections.Generic;
using ModelDsl.Generator.Layers;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// Whether a trainable model can be decoded one token at a time, and how: the per-position head is fed by a chain
/// that starts at a token input (the decoded sequence) and holds only layers whose descriptor can run one position at a
/// time (<see cref="LayerDescriptor.CanDecodeStep"/>: position-wise layers, causal Transformer decoder stacks, recurrent
/// decoders); every other layer (the encoder) does not read that input and runs once per source batch
/// (<c>Trainer.__Encode</c>). A decoder-only model (GPT) has no encoder. Null from <see cref="Create"/> means no
/// StepDecoder is emitted (not an error: classifiers have nothing to decode).
/// </summary>
internal sealed class DecodingPlan
{
    private DecodingPlan(TrainingEmitter.Sequence target, List<LayerPlan> chain, List<string> encoderLines, TrainingEmitter.Sequence? memorySequence)
    {
        Target = target;
        Chain = chain;
        EncoderLines = encoderLines;
        MemorySequence = memorySequence;
    }

    /// <summary>The decoded token input.</summary>
    public TrainingEmitter.Sequence Target { get; }

    /// <summary>The layers from the decoded input's embedding to the head, in order.</summary>
    public IReadOnlyList<LayerPlan> Chain { get; }

    /// <summary>Forward lines of the layers that do not read the decoded input.</summary>
    public IReadOnlyList<string> EncoderLines { get; }

    /// <summary>The source sequence every cross-attention reads (null for a decoder-only model).</summary>
    public TrainingEmitter.Sequence? MemorySequence { get; }

    /// <summary>The plan, or null when the model is not an autoregressive decoder this emitter handles.</summary>
    public static DecodingPlan? Create(ModelPlan plan, TrainingEmitter training) => Create(plan, training, out _);

    /// <summary>
    /// Why a model that looks autoregressive (a per-position cross-entropy head over the vocabulary of the token input it
    /// labels) gets no StepDecoder, or null when it gets one or does not look autoregressive (MDSL0021).
    /// </summary>
    public static string? WhyNoDecoder(ModelPlan plan)
    {
        TrainingEmitter training = TrainingEmitter.Create(plan);
        if (training.TargetSequence is not { } target || target.Input.Vocab <= 0 || plan.Target is not { } head || head.Width != target.Input.Vocab)
        {
            return null;
        }

        return Create(plan, training, out string? reason) is null ? reason : null;
    }

    private static DecodingPlan? Create(ModelPlan plan, TrainingEmitter training, out string? reason)
    {
        reason = null;
        if (training.TargetSequence is not { } target)
        {
            return null;
        }

        var targetSide = new HashSet<string>(StringComparer.Ordinal) { target.Input.Name };
        var chain = new List<LayerPlan>();
        var encoderLines = new List<string>();
        TrainingEmitter.Sequence? memorySequence = null;
        string previous = target.Input.Name;
        foreach (LayerPlan layer in plan.Layers)
        {
            if (layer.Descriptor.IsInput)
            {
                continue;
            }

            if (layer.Options.Source is not { } source || !targetSide.Contains(source))
            {
                if (training.LayerLines.TryGetValue(layer.Name, out (int Start, int End) lines))
                {
                    for (int i = lines.Start; i < lines.End; i++)
                    {
                        encoderLines.Add(training.Forward[i]);
                    }
                }

                continue;
            }

            if (source != previous)
            {
                // a branch inside the decoded chain
                reason = "'" + layer.Name + "' reads '" + source + "', not '" + previous + "' before it on the chain from '" + target.Input.Name + "' to the head";
                return null;
            }

            LayerDescriptor descriptor = layer.Descriptor;
            if (!descriptor.CanDecodeStep(layer))
            {
                reason = "'" + layer.Name + "' ([" + descriptor.AttributeName + "]) cannot run one position at a time (it sees later positions: not causal, or bidirectional)";
                return null;
            }

            if (descriptor.DecodeMemory(layer) is { } memory)
            {
                // Memory computed once per source batch by the encoder; every attending layer must read the same source sequence.
                if (targetSide.Contains(memory) || training.Output(memory).Sequence is not { } sequence || (memorySequence is not null && memorySequence != sequence))
                {
                    reason = "the memory of '" + layer.Name + "' ('" + memory + "') does not come from another input's sequence (it reads the decoded input, or two sources differ)";
                    return null;
                }

                memorySequence = sequence;
            }

            targetSide.Add(layer.Name);
            chain.Add(layer);
            previous = layer.Name;
        }

        LayerPlan last = plan.Layers[plan.Layers.Count - 1];
        if (chain.Count == 0 || chain[chain.Count - 1] != last || !last.Descriptor.IsClassifierHead)
        {
            reason = "the chain from '" + target.Input.Name + "' does not reach the head '" + last.Name + "' (it reads another member)";
            return null;
        }

        return new DecodingPlan(target, chain, encoderLines, memorySequence);
    }
}
