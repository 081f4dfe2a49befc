using System;
using ModelDsl.Training;

namespace ModelDsl.Data;

/// <summary>
/// Ready-made <see cref="RowWriter{TBatch, TExample}"/>s for the usual tasks, for any generated <c>Batch</c> (through
/// <see cref="IBatchRows"/>). Each writes through the batch's own checked setters, so a bad example gets the model's
/// message; none allocates per row.
/// </summary>
public static class Rows
{
    /// <summary>Text classification: the tokens into the first token input, the label into the pooled head's labels.</summary>
    public static RowWriter<TBatch, LabeledTokens> Classification<TBatch>()
        where TBatch : IBatchRows =>
        static (batch, row, example) =>
        {
            batch.SetTokens(batch.Layout.TokenInput(), row, example.Tokens);
            batch.SetLabel(row, example.Label);
        };

    /// <summary>Tagging: the tokens into the first token input, one label per token.</summary>
    public static RowWriter<TBatch, TaggedTokens> Tagging<TBatch>()
        where TBatch : IBatchRows =>
        static (batch, row, example) =>
        {
            batch.SetTokens(batch.Layout.TokenInput(), row, example.Tokens);
            batch.SetLabels(row, example.Tags);
        };

    /// <summary>
    /// Language modelling (next-token prediction): a sequence <c>x0 .. xn</c> gives the input <c>x0 .. x(n-1)</c> and the
    /// labels <c>x1 .. xn</c>. Sequences need at least two tokens.
    /// </summary>
    public static RowWriter<TBatch, int[]> LanguageModel<TBatch>()
        where TBatch : IBatchRows =>
        static (batch, row, sequence) =>
        {
            if (sequence.Length < 2)
            {
                throw new ArgumentException($"A language-model sequence needs at least 2 tokens (input and next token); this one has {sequence.Length}.", nameof(sequence));
            }

            batch.SetTokens(batch.Layout.TokenInput(), row, sequence.AsSpan(0, sequence.Length - 1));
            batch.SetLabels(row, sequence.AsSpan(1));
        };

    /// <summary>
    /// Seq2seq with teacher forcing: the source into the encoder's input; for a target <c>y1 .. yn</c> the decoder's input
    /// (the input the per-position labels follow) gets <c>BOS y1 .. yn</c> and the labels <c>y1 .. yn EOS</c>.
    /// </summary>
    /// <param name="bos">The begin-of-sequence id (the decoder's first input).</param>
    /// <param name="eos">The end-of-sequence id (the last label).</param>
    /// <param name="maxTargetLength">The longest target, without BOS/EOS (sizes the writer's one scratch row).</param>
    public static RowWriter<TBatch, TokenPair> TeacherForcing<TBatch>(int bos, int eos, int maxTargetLength)
        where TBatch : IBatchRows
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTargetLength);
        int[] scratch = new int[maxTargetLength + 1];
        return (batch, row, example) =>
        {
            BatchLayout layout = batch.Layout;
            BatchTarget target = layout.RequireTarget();
            if (target.Source is null)
            {
                throw new InvalidOperationException($"{layout.Model}.Batch: teacher forcing needs per-position labels that follow a decoder input; this batch has a {target.Kind} target.");
            }

            int decoder = layout.IndexOf(target.Source);
            int source = decoder == 0 ? layout.TokenInput(1) : layout.TokenInput(0);
            int[] y = example.Target;
            if (y.Length > maxTargetLength)
            {
                throw new ArgumentException($"The target has {y.Length} tokens; the writer was made for at most {maxTargetLength}.", nameof(example));
            }

            batch.SetTokens(source, row, example.Source);
            Span<int> shifted = scratch.AsSpan(0, y.Length + 1);
            shifted[0] = bos;
            y.CopyTo(shifted[1..]);
            batch.SetTokens(decoder, row, shifted);
            y.CopyTo(shifted);
            shifted[y.Length] = eos;
            batch.SetLabels(row, shifted);
        };
    }

    /// <summary>Features and a class: the values into the first feature input, the label into the pooled head's labels.</summary>
    public static RowWriter<TBatch, LabeledFeatures> FeatureClassification<TBatch>()
        where TBatch : IBatchRows =>
        static (batch, row, example) =>
        {
            batch.SetFeatures(FirstFeatureInput(batch.Layout), row, example.Features);
            batch.SetLabel(row, example.Label);
        };

    /// <summary>Regression: the values into the first feature input, the targets into the regression targets.</summary>
    public static RowWriter<TBatch, FeatureTargets> Regression<TBatch>()
        where TBatch : IBatchRows =>
        static (batch, row, example) =>
        {
            batch.SetFeatures(FirstFeatureInput(batch.Layout), row, example.Features);
            batch.SetTargets(row, example.Targets);
        };

    private static int FirstFeatureInput(BatchLayout layout)
    {
        for (int i = 0; i < layout.Inputs.Count; i++)
        {
            if (!layout.Inputs[i].Tokens)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"{layout.Model}.Batch has no feature input.");
    }
}
