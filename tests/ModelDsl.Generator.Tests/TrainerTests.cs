using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using ModelDsl.Generator.Tests.Support;
using ModelDsl.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// The generated trainer (forward, backward, Step) compiled against the real runtime: whole-model gradient checks,
/// training on a learnable task, determinism. Allocation counting is in <see cref="TrainerAllocationTests"/>.
/// </summary>
public sealed class TrainerTests
{
    /// <summary>Post-norm encoder classifier: sinusoidal positions, key padding, GELU FFN, mean pool, label smoothing, stack dropout 0.1 (the default).</summary>
    internal const string PostNorm = """
        using ModelDsl;

        namespace Tiny;

        [Model(MaxBatch = 4)]
        public partial class PostNorm
        {
            public const int Vocab = 12, D = 8, Length = 6, Classes = 3;

            [Input(Length)] public partial TokenInput Text { get; }
            [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
            [SinusoidalPositions] public partial Positions Positions { get; }
            [TransformerEncoder(Layers = 2, Heads = 2, FeedForward = 16, Mask = Masks.KeyPadding, Activation = Activation.Gelu)]
            public partial EncoderStack Encoder { get; }
            [MeanPool] public partial Pool Pool { get; }
            [Dense(Classes)] [CrossEntropyLoss(LabelSmoothing = 0.1f)] public partial Dense Head { get; }
        }
        """;

    /// <summary>Pre-norm encoder: learned positions, causal + key padding, last-token pool, a tanh dense, a LayerNorm, a dropout layer.</summary>
    internal const string PreNorm = """
        using ModelDsl;

        namespace Tiny;

        [Model(MaxBatch = 4)]
        public partial class PreNorm
        {
            public const int Vocab = 12, D = 8, Length = 6, Classes = 3;

            [Input(Length)] public partial TokenInput Text { get; }
            [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
            [LearnedPositions(Length)] public partial Positions Positions { get; }
            [Dropout(0.1f)] public partial DropoutLayer Drop { get; }
            [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 12, NormFirst = true, Mask = Masks.Causal | Masks.KeyPadding, Activation = Activation.Gelu)]
            public partial EncoderStack Encoder { get; }
            [LastTokenPool] public partial Pool Pool { get; }
            [Dense(6, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
            [LayerNorm] public partial Norm Norm { get; }
            [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
        }
        """;

    /// <summary>GPT-like: causal pre-norm decoder without memory (default Causal mask), tied LM head without bias, per-position loss with IgnoreIndex.</summary>
    internal const string Gpt = """
        using ModelDsl;

        namespace Tiny;

        [Model(MaxBatch = 4)]
        public partial class Gpt
        {
            public const int Vocab = 12, D = 8, Context = 6;

            [Input(Context)] public partial TokenInput Tokens { get; }
            [Embedding(Vocab, D)] public partial TokenEmbedding Wte { get; }
            [LearnedPositions(Context)] public partial Positions Wpe { get; }
            [TransformerDecoder(Layers = 2, Heads = 2, FeedForward = 16, NormFirst = true, Activation = Activation.Gelu)]
            public partial DecoderStack Blocks { get; }
            [Dense(Vocab, TiedTo = nameof(Wte), Bias = false)] [CrossEntropyLoss(IgnoreIndex = -1)] public partial Dense LmHead { get; }
        }
        """;

    /// <summary>First-token pool with ReLU FFN and no mask, for the training test.</summary>
    internal const string FirstToken = """
        using ModelDsl;

        namespace Tiny;

        [Model(MaxBatch = 16)]
        public partial class FirstToken
        {
            public const int Vocab = 12, D = 16, Length = 8, Classes = 2;

            [Input(Length)] public partial TokenInput Text { get; }
            [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
            [SinusoidalPositions] public partial Positions Positions { get; }
            [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 32, Mask = Masks.KeyPadding)]
            public partial EncoderStack Encoder { get; }
            [FirstTokenPool] public partial Pool Pool { get; }
            [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
        }
        """;

    /// <summary>
    /// Transformer encoder-decoder: source and target token inputs of different lengths, post-norm encoder with key padding,
    /// post-norm decoder (causal + target key padding) cross-attending to the encoder with memory key padding, GELU (smooth,
    /// for finite differences), dropout 0.1.
    /// </summary>
    internal const string Seq2Seq = """
        using ModelDsl;

        namespace Tiny;

        [Model(MaxBatch = 4)]
        public partial class Seq2Seq
        {
            public const int Vocab = 11, D = 8, SourceLength = 7, TargetLength = 5;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [SinusoidalPositions] public partial Positions SourcePositions { get; }
            [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 16, Mask = Masks.KeyPadding, Activation = Activation.Gelu)] public partial EncoderStack Encoder { get; }
            [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [LearnedPositions(TargetLength)] public partial Positions TargetPositions { get; }
            [TransformerDecoder(Layers = 2, Heads = 2, FeedForward = 16, Memory = nameof(Encoder), Mask = Masks.Causal | Masks.KeyPadding, Activation = Activation.Gelu)]
            public partial DecoderStack Decoder { get; }
            [Dense(Vocab)] [CrossEntropyLoss(LabelSmoothing = 0.1f)] public partial Dense Logits { get; }
        }
        """;

    /// <summary>Pre-norm encoder-decoder with GELU and no dropout; the decoder's memory is a LayerNorm read through From.</summary>
    internal const string Seq2SeqPreNorm = """
        using ModelDsl;

        namespace Tiny;

        [Model(MaxBatch = 4)]
        public partial class Seq2SeqPreNorm
        {
            public const int Vocab = 11, D = 8, SourceLength = 7, TargetLength = 5;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [LearnedPositions(SourceLength)] public partial Positions SourcePositions { get; }
            [TransformerEncoder(Layers = 1, Heads = 2, FeedForward = 16, Mask = Masks.KeyPadding, NormFirst = true, Activation = Activation.Gelu, Dropout = 0f)] public partial EncoderStack Encoder { get; }
            [LayerNorm] public partial Norm Memory { get; }
            [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [SinusoidalPositions] public partial Positions TargetPositions { get; }
            [TransformerDecoder(Layers = 1, Heads = 4, FeedForward = 16, Memory = nameof(Memory), NormFirst = true, Activation = Activation.Gelu, Dropout = 0f)]
            public partial DecoderStack Decoder { get; }
            [Dense(Vocab)] [CrossEntropyLoss(IgnoreIndex = 0)] public partial Dense Logits { get; }
        }
        """;

    /// <summary>Truncated (local window) attention with key padding, then graph attention over a run-time adjacency.</summary>
    internal const string Masked = """
        using ModelDsl;

        namespace Tiny;

        [Model(MaxBatch = 4)]
        public partial class Masked
        {
            public const int Vocab = 12, D = 8, Length = 6, Classes = 3;

            [Input(Length)] public partial TokenInput Text { get; }
            [Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }
            [TransformerEncoder(Heads = 2, FeedForward = 16, Mask = Masks.LocalWindow | Masks.KeyPadding, WindowRadius = 1, Dropout = 0f, Activation = Activation.Tanh)]
            public partial EncoderStack Local { get; }
            [TransformerEncoder(Heads = 2, FeedForward = 16, Mask = Masks.Graph, NormFirst = true, Dropout = 0f, Activation = Activation.Gelu)]
            public partial EncoderStack Graph { get; }
            [LastTokenPool] public partial Pool Pool { get; }
            [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
        }
        """;

    /// <summary>RNN encoder-decoders: GRU + Bahdanau; a stacked bidirectional LSTM encoder, bridge, LSTM + Luong general; a bidirectional GRU with Luong dot; the plain GRU encoder-decoder; an LSTM + Luong concat.</summary>
    internal const string Recurrent = """
        using ModelDsl;

        namespace Tiny;

        [Model(MaxBatch = 4)]
        public partial class GruBahdanau
        {
            public const int Vocab = 11, E = 6, H = 8, SourceLength = 7, TargetLength = 5;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [RecurrentEncoder(H)] public partial RecurrentStack Encoder { get; }
            [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [RecurrentDecoder(H, Memory = nameof(Encoder), Attention = RecurrentAttention.Bahdanau, AttentionSize = 5)] public partial RecurrentDecoderLayer Decoder { get; }
            [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
        }

        [Model(MaxBatch = 4)]
        public partial class LstmLuong
        {
            public const int Vocab = 11, E = 6, SourceLength = 7, TargetLength = 5;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [RecurrentEncoder(5, Cell = RecurrentCell.Lstm, Layers = 2, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
            [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [RecurrentDecoder(7, Cell = RecurrentCell.Lstm, Memory = nameof(Encoder), Attention = RecurrentAttention.LuongGeneral)] public partial RecurrentDecoderLayer Decoder { get; }
            [Dense(Vocab)] [CrossEntropyLoss(LabelSmoothing = 0.1f)] public partial Dense Logits { get; }
        }

        [Model(MaxBatch = 4)]
        public partial class GruLuongDot
        {
            public const int Vocab = 11, E = 6, SourceLength = 7, TargetLength = 5;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [RecurrentEncoder(4, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
            [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [RecurrentDecoder(8, Memory = nameof(Encoder), Attention = RecurrentAttention.LuongDot)] public partial RecurrentDecoderLayer Decoder { get; }
            [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
        }

        [Model(MaxBatch = 4)]
        public partial class SharedTables
        {
            public const int Vocab = 11, D = 8, SourceLength = 7, TargetLength = 5;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [TransformerEncoder(Heads = 2, FeedForward = 16, Mask = Masks.KeyPadding, Activation = Activation.Gelu, Dropout = 0f)] public partial EncoderStack Encoder { get; }
            [Embedding(Vocab, D, From = nameof(Target), SharedWith = nameof(SourceEmbedding))] public partial TokenEmbedding TargetEmbedding { get; }
            [TransformerDecoder(Heads = 2, FeedForward = 16, Memory = nameof(Encoder), Activation = Activation.Gelu, Dropout = 0f)] public partial DecoderStack Decoder { get; }
            [Dense(Vocab, TiedTo = nameof(TargetEmbedding), Bias = false)] [CrossEntropyLoss] public partial Dense Logits { get; }
        }

        [Model(MaxBatch = 4)]
        public partial class GruPlain
        {
            public const int Vocab = 11, E = 6, SourceLength = 7, TargetLength = 5;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [RecurrentEncoder(6, Cell = RecurrentCell.Rnn)] public partial RecurrentStack Encoder { get; }
            [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [RecurrentDecoder(8, Memory = nameof(Encoder), Attention = RecurrentAttention.None)] public partial RecurrentDecoderLayer Decoder { get; }
            [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
        }

        [Model(MaxBatch = 4)]
        public partial class LstmConcat
        {
            public const int Vocab = 11, E = 6, SourceLength = 7, TargetLength = 5;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [RecurrentEncoder(5, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
            [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [RecurrentDecoder(7, Cell = RecurrentCell.Lstm, Memory = nameof(Encoder), Attention = RecurrentAttention.LuongConcat, AttentionSize = 6)] public partial RecurrentDecoderLayer Decoder { get; }
            [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
        }

        [Model(MaxBatch = 4)]
        public partial class LstmCellHanded
        {
            public const int Vocab = 11, E = 6, SourceLength = 7, TargetLength = 5;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [RecurrentEncoder(7, Cell = RecurrentCell.Lstm, Layers = 2)] public partial RecurrentStack Encoder { get; }
            [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [RecurrentDecoder(7, Cell = RecurrentCell.Lstm, Memory = nameof(Encoder), Attention = RecurrentAttention.LuongGeneral, CellFromEncoder = true)] public partial RecurrentDecoderLayer Decoder { get; }
            [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
        }

        [Model(MaxBatch = 4)]
        public partial class LstmBiCellHanded
        {
            public const int Vocab = 11, E = 6, SourceLength = 7, TargetLength = 5;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Embedding(Vocab, E, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [RecurrentEncoder(4, Cell = RecurrentCell.Lstm, Bidirectional = true)] public partial RecurrentStack Encoder { get; }
            [Embedding(Vocab, E, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [RecurrentDecoder(8, Cell = RecurrentCell.Lstm, Memory = nameof(Encoder), AttentionSize = 5, CellFromEncoder = true)] public partial RecurrentDecoderLayer Decoder { get; }
            [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
        }
        """;

    /// <summary>
    /// Compiled beside the models (spans cannot cross reflection): gradient checks, training runs and allocation
    /// counts run inside generated-code land and return plain arrays.
    /// </summary>
    internal const string Harness = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using ModelDsl;
        using ModelDsl.Optim;

        namespace Tiny;

        public static class Harness
        {
            // Rows of lengths 6, 3, 1: key padding and causal masks both matter; labels per row or per position.
            private static void Fill(PostNorm.Batch batch) { batch.SetText(0, [1, 5, 7, 2, 9, 11]); batch.SetText(1, [3, 3, 8]); batch.SetText(2, [10]); batch.SetLabel(0, 2); batch.SetLabel(1, 0); batch.SetLabel(2, 1); batch.Count = 3; }
            private static void Fill(PreNorm.Batch batch) { batch.SetText(0, [1, 5, 7, 2, 9, 11]); batch.SetText(1, [3, 3, 8]); batch.SetText(2, [10]); batch.SetLabel(0, 2); batch.SetLabel(1, 0); batch.SetLabel(2, 1); batch.Count = 3; }
            // Source lengths 7, 4, 1 and target lengths 5, 2, 3: memory padding, target padding and the causal mask all matter.
            private static void Fill(Seq2Seq.Batch batch) { batch.SetSource(0, [1, 5, 7, 2, 9, 10, 3]); batch.SetSource(1, [3, 3, 8, 4]); batch.SetSource(2, [10]); batch.SetTarget(0, [1, 4, 6, 2, 8]); batch.SetTarget(1, [1, 9]); batch.SetTarget(2, [1, 7, 7]); batch.SetLabels(0, [4, 6, 2, 8, 2]); batch.SetLabels(1, [9, 2]); batch.SetLabels(2, [7, 7, 2]); batch.Count = 3; }
            private static void Fill(Seq2SeqPreNorm.Batch batch) { batch.SetSource(0, [1, 5, 7, 2, 9, 10, 3]); batch.SetSource(1, [3, 3, 8, 4]); batch.SetSource(2, [10]); batch.SetTarget(0, [1, 4, 6, 2, 8]); batch.SetTarget(1, [1, 9]); batch.SetTarget(2, [1, 7, 7]); batch.SetLabels(0, [4, 6, 0, 8, 2]); batch.SetLabels(1, [9, 2]); batch.SetLabels(2, [7, 7, 2]); batch.Count = 3; }
            private static void Fill(Masked.Batch batch)
            {
                batch.SetText(0, [1, 5, 7, 2, 9, 11]); batch.SetText(1, [3, 3, 8]); batch.SetText(2, [10]);
                // A chain graph with self-loops plus a long edge; row 2 has a query (0) with no allowed key at all (a fully masked row).
                for (int i = 0; i < 6; i++) { batch.SetTextEdge(0, i, i, true); if (i > 0) batch.SetTextEdge(0, i, i - 1, true); }
                batch.SetTextEdge(0, 5, 0, true);
                batch.SetTextEdge(1, 0, 2, true); batch.SetTextEdge(1, 1, 1, true); batch.SetTextEdge(1, 2, 0, true); batch.SetTextEdge(1, 2, 1, true);
                batch.SetLabel(0, 2); batch.SetLabel(1, 0); batch.SetLabel(2, 1); batch.Count = 3;
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckSeq2Seq()
            {
                var model = new Seq2Seq(seed: 6);
                var batch = new Seq2Seq.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                // ComputeGradients as the loss: dropout masks depend only on the seed and Steps (see CheckPostNorm).
                return Check(Seq2Seq.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.ComputeGradients(batch), () => trainer.Gradients.Span.ToArray());
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckSeq2SeqPreNorm()
            {
                var model = new Seq2SeqPreNorm(seed: 7);
                var batch = new Seq2SeqPreNorm.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                return Check(Seq2SeqPreNorm.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckMasked()
            {
                var model = new Masked(seed: 8);
                var batch = new Masked.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                return Check(Masked.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
            }

            /// <summary>
            /// Largest |difference| between the StepDecoder's log-probabilities, fed the batch's target tokens one step at a time,
            /// and log_softmax of the trainer's teacher-forced logits at the same rows and positions.
            /// </summary>
            public static double DecoderMatchesTeacherForcing(int which)
            {
                return which switch
                {
                    0 => Seq2SeqCompare(new Seq2Seq(seed: 6)),
                    1 => PreNormCompare(new Seq2SeqPreNorm(seed: 7)),
                    _ => GptCompare(new Gpt(seed: 5)),
                };
            }

            private static double Seq2SeqCompare(Seq2Seq model)
            {
                var batch = new Seq2Seq.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                trainer.Evaluate(batch);
                using var decoder = model.CreateDecoder(maxRows: 3, threads: 2);
                decoder.Begin(batch);
                return Compare(trainer.Logits.ToArray(), batch.Target, batch.TargetLengths, 3, Seq2Seq.TargetLength, Seq2Seq.Vocab, (tokens, step, output) => decoder.Step(tokens, step, output));
            }

            private static double PreNormCompare(Seq2SeqPreNorm model)
            {
                var batch = new Seq2SeqPreNorm.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                trainer.Evaluate(batch);
                using var decoder = model.CreateDecoder(maxRows: 4);
                decoder.Begin(batch);
                return Compare(trainer.Logits.ToArray(), batch.Target, batch.TargetLengths, 3, Seq2SeqPreNorm.TargetLength, Seq2SeqPreNorm.Vocab, (tokens, step, output) => decoder.Step(tokens, step, output));
            }

            private static double GptCompare(Gpt model)
            {
                var batch = new Gpt.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                trainer.Evaluate(batch);
                using var decoder = model.CreateDecoder(maxRows: 3);
                decoder.Begin(3);
                return Compare(trainer.Logits.ToArray(), batch.Tokens, batch.TokensLengths, 3, Gpt.Context, Gpt.Vocab, (tokens, step, output) => decoder.Step(tokens, step, output));
            }

            internal delegate void StepFunction(ReadOnlySpan<int> tokens, int step, Span<float> output);

            internal static double Compare(float[] logits, int[] ids, int[] lengths, int rows, int maxLength, int vocab, StepFunction step)
            {
                int T = lengths.Take(rows).Max();
                var tokens = new int[rows];
                var output = new float[rows * vocab];
                double worst = 0;
                for (int t = 0; t < T; t++)
                {
                    for (int r = 0; r < rows; r++) tokens[r] = t < lengths[r] ? ids[r * maxLength + t] : 0;
                    step(tokens, t, output);
                    for (int r = 0; r < rows; r++)
                    {
                        if (t >= lengths[r]) continue;
                        ReadOnlySpan<float> row = logits.AsSpan((r * T + t) * vocab, vocab);
                        double max = double.NegativeInfinity;
                        foreach (float x in row) max = Math.Max(max, x);
                        double sum = 0;
                        foreach (float x in row) sum += Math.Exp(x - max);
                        for (int c = 0; c < vocab; c++)
                        {
                            double expected = row[c] - max - Math.Log(sum);
                            worst = Math.Max(worst, Math.Abs(expected - output[r * vocab + c]));
                        }
                    }
                }

                return worst;
            }

            /// <summary>
            /// Beam-style reordering: rows 0 and 1 of one source take different tokens for two steps, then Reorder([1, 1]) and a third
            /// step; returns the largest difference between row 0's third-step output and a fresh single-row decode of row 1's prefix.
            /// </summary>
            public static double ReorderMatchesFreshDecode()
            {
                var model = new Seq2Seq(seed: 6);
                var batch = new Seq2Seq.Batch();
                Fill(batch);
                batch.Count = 1;
                using var decoder = model.CreateDecoder(maxRows: 2);
                decoder.Begin(batch, width: 2);
                var output = new float[2 * Seq2Seq.Vocab];
                decoder.Step([1, 1], 0, output);
                decoder.Step([4, 7], 1, output);
                decoder.Reorder([1, 1], 2);
                decoder.Step([3, 3], 2, output);
                float[] reordered = output.AsSpan(0, Seq2Seq.Vocab).ToArray();

                using var fresh = model.CreateDecoder(maxRows: 1);
                fresh.Begin(batch);
                var single = new float[Seq2Seq.Vocab];
                fresh.Step([1], 0, single);
                fresh.Step([7], 1, single);
                fresh.Step([3], 2, single);
                return reordered.Zip(single, (x, y) => (double)Math.Abs(x - y)).Max();
            }

            /// <summary>
            /// Parameters after 10 AdamW steps straight, and after 4 steps, SaveCheckpoint, a fresh model (other seed) and trainer
            /// (other dropout seed) that LoadCheckpoint, then 6 more steps; dropout on, so the masks must resume too.
            /// </summary>
            public static float[][] CheckpointResume(string path)
            {
                var batch = new Seq2Seq.Batch();
                Fill(batch);
                var straight = new Seq2Seq(seed: 6);
                using (var trainer = straight.CreateTrainer(new AdamW(1e-2f), dropoutSeed: 5))
                {
                    for (int i = 0; i < 10; i++) trainer.Step(batch);
                }

                var first = new Seq2Seq(seed: 6);
                using (var trainer = first.CreateTrainer(new AdamW(1e-2f), dropoutSeed: 5))
                {
                    for (int i = 0; i < 4; i++) trainer.Step(batch);
                    trainer.SaveCheckpoint(path);
                }

                var resumed = new Seq2Seq(seed: 99);
                using (var trainer = resumed.CreateTrainer(new AdamW(1e-2f), dropoutSeed: 1))
                {
                    trainer.LoadCheckpoint(path);
                    if (trainer.Steps != 4) throw new InvalidOperationException("Steps not restored");
                    for (int i = 0; i < 6; i++) trainer.Step(batch);
                }

                var fourSteps = first.Parameters.Span.ToArray();
                return [straight.Parameters.Span.ToArray(), resumed.Parameters.Span.ToArray(), fourSteps];
            }

            /// <summary>
            /// Scheduled sampling with probability 1 replaces every decoder input after the first by the teacher-forced prediction
            /// for the position before it: returns [gradients with ScheduledSampling = 1, gradients of a batch built that way by hand,
            /// gradients with ScheduledSampling = 0, plain gradients].
            /// </summary>
            public static float[][] ScheduledSamplingMatchesHandBuiltInputs()
            {
                var model = new Seq2SeqPreNorm(seed: 7);
                var batch = new Seq2SeqPreNorm.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                trainer.ComputeGradients(batch);
                float[] plain = trainer.Gradients.Span.ToArray();
                trainer.ScheduledSampling = _ => 0f;
                trainer.ComputeGradients(batch);
                float[] zero = trainer.Gradients.Span.ToArray();
                trainer.ScheduledSampling = _ => 1f;
                trainer.ComputeGradients(batch);
                float[] sampled = trainer.Gradients.Span.ToArray();

                trainer.ScheduledSampling = null;
                trainer.Evaluate(batch);
                var mixed = new Seq2SeqPreNorm.Batch();
                Fill(mixed);
                for (int b = 0; b < 3; b++)
                {
                    var ids = new int[batch.TargetLengths[b]];
                    ids[0] = batch.Target[b * 5];
                    for (int t = 1; t < ids.Length; t++) ids[t] = trainer.Predict(b, t - 1);
                    mixed.SetTarget(b, ids);
                }

                trainer.ComputeGradients(mixed);
                return [sampled, trainer.Gradients.Span.ToArray(), zero, plain];
            }

            /// <summary>Bytes allocated per Step of the encoder-decoder's StepDecoder (4 rows, 2 threads), counted by <paramref name="measure"/>.</summary>
            public static long DecoderAllocations(Func<Action, long> measure)
            {
                var model = new Seq2Seq(seed: 3);
                var batch = new Seq2Seq.Batch();
                Fill(batch);
                batch.Count = 2;
                using var decoder = model.CreateDecoder(maxRows: 4, threads: 2);
                decoder.Begin(batch, width: 2);
                var output = new float[4 * Seq2Seq.Vocab];
                int[] tokens = [1, 1, 1, 1];
                int[] sources = [1, 0, 3, 2];
                return measure(() =>
                {
                    for (int t = 0; t < Seq2Seq.TargetLength; t++)
                    {
                        decoder.Step(tokens, t, output);
                        decoder.Reorder(sources, t + 1);
                    }
                });
            }

            // The Seq2Seq rows (source lengths 7, 4, 1; targets 5, 2, 3) through the batch's setters.
            private static void FillPairs(Action<int, int[]> source, Action<int, int[]> target, Action<int, int[]> labels)
            {
                source(0, [1, 5, 7, 2, 9, 10, 3]); source(1, [3, 3, 8, 4]); source(2, [10]);
                target(0, [1, 4, 6, 2, 8]); target(1, [1, 9]); target(2, [1, 7, 7]);
                labels(0, [4, 6, 2, 8, 2]); labels(1, [9, 2]); labels(2, [7, 7, 2]);
            }

            private static void FillPairs(GruBahdanau.Batch b) { FillPairs((r, x) => b.SetSource(r, x), (r, x) => b.SetTarget(r, x), (r, x) => b.SetLabels(r, x)); b.Count = 3; }
            private static void FillPairs(LstmLuong.Batch b) { FillPairs((r, x) => b.SetSource(r, x), (r, x) => b.SetTarget(r, x), (r, x) => b.SetLabels(r, x)); b.Count = 3; }
            private static void FillPairs(GruLuongDot.Batch b) { FillPairs((r, x) => b.SetSource(r, x), (r, x) => b.SetTarget(r, x), (r, x) => b.SetLabels(r, x)); b.Count = 3; }
            private static void FillPairs(SharedTables.Batch b) { FillPairs((r, x) => b.SetSource(r, x), (r, x) => b.SetTarget(r, x), (r, x) => b.SetLabels(r, x)); b.Count = 3; }
            private static void FillPairs(LstmConcat.Batch b) { FillPairs((r, x) => b.SetSource(r, x), (r, x) => b.SetTarget(r, x), (r, x) => b.SetLabels(r, x)); b.Count = 3; }
            private static void FillPairs(LstmCellHanded.Batch b) { FillPairs((r, x) => b.SetSource(r, x), (r, x) => b.SetTarget(r, x), (r, x) => b.SetLabels(r, x)); b.Count = 3; }
            private static void FillPairs(LstmBiCellHanded.Batch b) { FillPairs((r, x) => b.SetSource(r, x), (r, x) => b.SetTarget(r, x), (r, x) => b.SetLabels(r, x)); b.Count = 3; }
            private static void FillPairs(GruPlain.Batch b) { FillPairs((r, x) => b.SetSource(r, x), (r, x) => b.SetTarget(r, x), (r, x) => b.SetLabels(r, x)); b.Count = 3; }

            // Every parameter uniform in [-1, 1] (biases too): with the default init the LSTM encoders' gradients are mostly below
            // the 1e-3 that the check counts as non-zero, and the handed cell's gradient into the encoder would go unchecked.
            private static void Spread(ModelDsl.Memory.AlignedBlock parameters, int seed)
            {
                var random = new Random(seed);
                Span<float> span = parameters.Span;
                for (int i = 0; i < span.Length; i++)
                {
                    span[i] = (float)((2 * random.NextDouble()) - 1);
                }
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckRecurrent(int which)
            {
                switch (which)
                {
                    case 0: { var m = new GruBahdanau(seed: 2); var b = new GruBahdanau.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f), threads: 2); return Check(GruBahdanau.ParameterTable, m.Parameters, () => t.ComputeGradients(b), () => t.Evaluate(b), () => t.Gradients.Span.ToArray()); }
                    case 1: { var m = new LstmLuong(seed: 3); var b = new LstmLuong.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f)); return Check(LstmLuong.ParameterTable, m.Parameters, () => t.ComputeGradients(b), () => t.Evaluate(b), () => t.Gradients.Span.ToArray()); }
                    case 4: { var m = new SharedTables(seed: 6); var b = new SharedTables.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f)); if (SharedTables.ParameterTable.Count(e => e.Name.EndsWith("embedding.weight", StringComparison.Ordinal)) != 1) throw new InvalidOperationException("the shared table is listed twice"); return Check(SharedTables.ParameterTable, m.Parameters, () => t.ComputeGradients(b), () => t.Evaluate(b), () => t.Gradients.Span.ToArray()); }
                    case 2: { var m = new GruLuongDot(seed: 4); var b = new GruLuongDot.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f)); return Check(GruLuongDot.ParameterTable, m.Parameters, () => t.ComputeGradients(b), () => t.Evaluate(b), () => t.Gradients.Span.ToArray()); }
                    case 5: { var m = new LstmConcat(seed: 8); var b = new LstmConcat.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f), threads: 2); return Check(LstmConcat.ParameterTable, m.Parameters, () => t.ComputeGradients(b), () => t.Evaluate(b), () => t.Gradients.Span.ToArray()); }
                    case 6: { var m = new LstmCellHanded(seed: 9); var b = new LstmCellHanded.Batch(); FillPairs(b); Spread(m.Parameters, 9); using var t = m.CreateTrainer(new Sgd(0.1f)); return Check(LstmCellHanded.ParameterTable, m.Parameters, () => t.ComputeGradients(b), () => t.Evaluate(b), () => t.Gradients.Span.ToArray()); }
                    case 7: { var m = new LstmBiCellHanded(seed: 10); var b = new LstmBiCellHanded.Batch(); FillPairs(b); Spread(m.Parameters, 10); using var t = m.CreateTrainer(new Sgd(0.1f), threads: 2); return Check(LstmBiCellHanded.ParameterTable, m.Parameters, () => t.ComputeGradients(b), () => t.Evaluate(b), () => t.Gradients.Span.ToArray()); }
                    default: { var m = new GruPlain(seed: 5); var b = new GruPlain.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f)); return Check(GruPlain.ParameterTable, m.Parameters, () => t.ComputeGradients(b), () => t.Evaluate(b), () => t.Gradients.Span.ToArray()); }
                }
            }

            public static double RecurrentDecoderMatchesTeacherForcing(int which)
            {
                switch (which)
                {
                    case 0: { var m = new GruBahdanau(seed: 2); var b = new GruBahdanau.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f), threads: 2); t.Evaluate(b); using var d = m.CreateDecoder(3, threads: 2); d.Begin(b); return Compare(t.Logits.ToArray(), b.Target, b.TargetLengths, 3, 5, 11, (x, s, o) => d.Step(x, s, o)); }
                    case 1: { var m = new LstmLuong(seed: 3); var b = new LstmLuong.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f)); t.Evaluate(b); using var d = m.CreateDecoder(3); d.Begin(b); return Compare(t.Logits.ToArray(), b.Target, b.TargetLengths, 3, 5, 11, (x, s, o) => d.Step(x, s, o)); }
                    case 4: { var m = new SharedTables(seed: 6); var b = new SharedTables.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f)); t.Evaluate(b); using var d = m.CreateDecoder(3); d.Begin(b); return Compare(t.Logits.ToArray(), b.Target, b.TargetLengths, 3, 5, 11, (x, s, o) => d.Step(x, s, o)); }
                    case 2: { var m = new GruLuongDot(seed: 4); var b = new GruLuongDot.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f)); t.Evaluate(b); using var d = m.CreateDecoder(3); d.Begin(b); return Compare(t.Logits.ToArray(), b.Target, b.TargetLengths, 3, 5, 11, (x, s, o) => d.Step(x, s, o)); }
                    case 5: { var m = new LstmConcat(seed: 8); var b = new LstmConcat.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f), threads: 2); t.Evaluate(b); using var d = m.CreateDecoder(3, threads: 2); d.Begin(b); return Compare(t.Logits.ToArray(), b.Target, b.TargetLengths, 3, 5, 11, (x, s, o) => d.Step(x, s, o)); }
                    case 6: { var m = new LstmCellHanded(seed: 9); var b = new LstmCellHanded.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f)); t.Evaluate(b); using var d = m.CreateDecoder(3); d.Begin(b); return Compare(t.Logits.ToArray(), b.Target, b.TargetLengths, 3, 5, 11, (x, s, o) => d.Step(x, s, o)); }
                    case 7: { var m = new LstmBiCellHanded(seed: 10); var b = new LstmBiCellHanded.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f), threads: 2); t.Evaluate(b); using var d = m.CreateDecoder(3, threads: 2); d.Begin(b); return Compare(t.Logits.ToArray(), b.Target, b.TargetLengths, 3, 5, 11, (x, s, o) => d.Step(x, s, o)); }
                    default: { var m = new GruPlain(seed: 5); var b = new GruPlain.Batch(); FillPairs(b); using var t = m.CreateTrainer(new Sgd(0.1f)); t.Evaluate(b); using var d = m.CreateDecoder(3); d.Begin(b); return Compare(t.Logits.ToArray(), b.Target, b.TargetLengths, 3, 5, 11, (x, s, o) => d.Step(x, s, o)); }
                }
            }

            /// <summary>As ReorderMatchesFreshDecode, for the LSTM + Luong decoder (state and cell rows are gathered).</summary>
            public static double RecurrentReorderMatchesFreshDecode()
            {
                var model = new LstmLuong(seed: 3);
                var batch = new LstmLuong.Batch();
                FillPairs(batch);
                batch.Count = 1;
                using var decoder = model.CreateDecoder(maxRows: 2);
                decoder.Begin(batch, width: 2);
                var output = new float[2 * 11];
                decoder.Step([1, 1], 0, output);
                decoder.Step([4, 7], 1, output);
                decoder.Reorder([1, 1], 2);
                decoder.Step([3, 3], 2, output);
                float[] reordered = output.AsSpan(0, 11).ToArray();

                using var fresh = model.CreateDecoder(maxRows: 1);
                fresh.Begin(batch);
                var single = new float[11];
                fresh.Step([1], 0, single);
                fresh.Step([7], 1, single);
                fresh.Step([3], 2, single);
                return reordered.Zip(single, (x, y) => (double)Math.Abs(x - y)).Max();
            }

            /// <summary>Bytes allocated per GRU + Bahdanau Step and per decoded token (Step + Reorder, width 2) after warm-up.</summary>
            public static long[] RecurrentAllocations(Func<Action, long> measure)
            {
                var model = new GruBahdanau(seed: 2);
                var batch = new GruBahdanau.Batch();
                FillPairs(batch);
                using var trainer = model.CreateTrainer(new Adam(1e-3f), threads: 2);
                long step = measure(() => trainer.Step(batch));
                batch.Count = 2;
                using var decoder = model.CreateDecoder(maxRows: 4, threads: 2);
                decoder.Begin(batch, width: 2);
                var output = new float[4 * 11];
                int[] tokens = [1, 1, 1, 1];
                int[] sources = [1, 0, 3, 2];
                long decode = measure(() =>
                {
                    for (int t = 0; t < 5; t++)
                    {
                        decoder.Step(tokens, t, output);
                        decoder.Reorder(sources, t + 1);
                    }
                });

                // The same for the LSTM + Luong concat decoder.
                var concat = new LstmConcat(seed: 8);
                var concatBatch = new LstmConcat.Batch();
                FillPairs(concatBatch);
                using var concatTrainer = concat.CreateTrainer(new Adam(1e-3f), threads: 2);
                long concatStep = measure(() => concatTrainer.Step(concatBatch));
                concatBatch.Count = 2;
                using var concatDecoder = concat.CreateDecoder(maxRows: 4, threads: 2);
                concatDecoder.Begin(concatBatch, width: 2);
                long concatDecode = measure(() =>
                {
                    for (int t = 0; t < 5; t++)
                    {
                        concatDecoder.Step(tokens, t, output);
                        concatDecoder.Reorder(sources, t + 1);
                    }
                });

                // The same for the bidirectional LSTM encoder whose joined final cell starts the decoder's cell (CellFromEncoder).
                var handed = new LstmBiCellHanded(seed: 10);
                var handedBatch = new LstmBiCellHanded.Batch();
                FillPairs(handedBatch);
                using var handedTrainer = handed.CreateTrainer(new Adam(1e-3f), threads: 2);
                long handedStep = measure(() => handedTrainer.Step(handedBatch));
                handedBatch.Count = 2;
                using var handedDecoder = handed.CreateDecoder(maxRows: 4, threads: 2);
                handedDecoder.Begin(handedBatch, width: 2);
                long handedDecode = measure(() =>
                {
                    for (int t = 0; t < 5; t++)
                    {
                        handedDecoder.Step(tokens, t, output);
                        handedDecoder.Reorder(sources, t + 1);
                    }
                });
                return [step, decode, concatStep, concatDecode, handedStep, handedDecode];
            }

            /// <summary>Trains the encoder-decoder to reverse random sequences; returns the held-out token accuracy under teacher forcing.</summary>
            public static double TrainReverse(int steps)
            {
                var model = new Seq2SeqPreNorm(seed: 12);
                var batch = new Seq2SeqPreNorm.Batch();
                var random = new Random(3);
                using var trainer = model.CreateTrainer(new Adam(1e-2f), threads: 2);
                for (int i = 0; i < steps; i++)
                {
                    Reversals(batch, random);
                    trainer.Step(batch);
                }

                int correct = 0, total = 0;
                var heldOut = new Random(77);
                for (int round = 0; round < 8; round++)
                {
                    Reversals(batch, heldOut);
                    trainer.Evaluate(batch);
                    for (int b = 0; b < 4; b++)
                    {
                        for (int t = 0; t < batch.TargetLengths[b]; t++)
                        {
                            correct += trainer.Predict(b, t) == batch.Labels[b * 5 + t] ? 1 : 0;
                            total++;
                        }
                    }
                }

                return correct / (double)total;
            }

            // Source: 1..4 tokens from 3..10; target input: start (1) then the reversed source; labels: the reversed source then end (2).
            private static void Reversals(Seq2SeqPreNorm.Batch batch, Random random)
            {
                Span<int> source = stackalloc int[4];
                Span<int> input = stackalloc int[5];
                Span<int> labels = stackalloc int[5];
                for (int row = 0; row < 4; row++)
                {
                    int n = random.Next(1, 5);
                    for (int i = 0; i < n; i++) source[i] = random.Next(3, 11);
                    input[0] = 1;
                    for (int i = 0; i < n; i++) { input[i + 1] = source[n - 1 - i]; labels[i] = source[n - 1 - i]; }
                    labels[n] = 2;
                    batch.SetSource(row, source[..n]);
                    batch.SetTarget(row, input[..(n + 1)]);
                    batch.SetLabels(row, labels[..(n + 1)]);
                }

                batch.Count = 4;
            }

            private static void Fill(Gpt.Batch batch) { batch.SetTokens(0, [1, 5, 7, 2, 9, 11]); batch.SetTokens(1, [3, 3, 8]); batch.SetTokens(2, [10]); batch.SetLabels(0, [5, 7, 2, 9, 11, 4]); batch.SetLabels(1, [3, -1, 6]); batch.SetLabels(2, [0]); batch.Count = 3; }

            public static List<(string Name, float Analytic, float Numeric)> CheckPostNorm()
            {
                var model = new PostNorm(seed: 3);
                var batch = new PostNorm.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                // The loss is ComputeGradients itself: dropout on, and its masks depend only on the seed and Steps (no update here), so
                // every evaluation sees the same masks and the check covers the dropout sites too.
                return Check(PostNorm.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.ComputeGradients(batch), () => trainer.Gradients.Span.ToArray());
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckPreNorm()
            {
                var model = new PreNorm(seed: 4);
                var batch = new PreNorm.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                // The loss is ComputeGradients itself: dropout on, and its masks depend only on the seed and Steps (no update here), so
                // every evaluation sees the same masks and the check covers the dropout sites too.
                return Check(PreNorm.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.ComputeGradients(batch), () => trainer.Gradients.Span.ToArray());
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckGpt()
            {
                var model = new Gpt(seed: 5);
                var batch = new Gpt.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                // The loss is ComputeGradients itself: dropout on, and its masks depend only on the seed and Steps (no update here), so
                // every evaluation sees the same masks and the check covers the dropout sites too.
                return Check(Gpt.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.ComputeGradients(batch), () => trainer.Gradients.Span.ToArray());
            }

            // Central differences with Richardson extrapolation: (4 D(h/2) - D(h)) / 3 cancels the h^2 term.
            internal static List<(string, float, float)> Check(IReadOnlyList<ParameterEntry> table, ModelDsl.Memory.AlignedBlock parameters, Func<float> gradients, Func<float> loss, Func<float[]> read)
            {
                gradients();
                float[] g = read();
                var results = new List<(string, float, float)>();
                foreach (ParameterEntry entry in table)
                {
                    for (int s = 0; s < 4; s++)
                    {
                        int i = entry.Offset + (int)(((s * 7919L) + 13) % entry.Length);
                        double coarse = Difference(parameters, i, 2e-2f, loss);
                        double fine = Difference(parameters, i, 1e-2f, loss);
                        results.Add((entry.Name, g[i], (float)(((4 * fine) - coarse) / 3)));
                    }
                }

                return results;
            }

            private static double Difference(ModelDsl.Memory.AlignedBlock parameters, int i, float h, Func<float> loss)
            {
                float saved = parameters.Span[i];
                parameters.Span[i] = saved + h;
                double plus = loss();
                parameters.Span[i] = saved - h;
                double minus = loss();
                parameters.Span[i] = saved;
                return (plus - minus) / (2.0 * h);
            }

            /// <summary>Evaluate loss, training loss twice (same masks), training loss with DropoutEnabled = false.</summary>
            public static float[] DropoutModes()
            {
                var model = new PostNorm(seed: 3);
                var batch = new PostNorm.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), dropoutSeed: 9);
                float evaluate = trainer.Evaluate(batch);
                float first = trainer.ComputeGradients(batch);
                float second = trainer.ComputeGradients(batch);
                trainer.DropoutEnabled = false;
                return [evaluate, first, second, trainer.ComputeGradients(batch)];
            }

            public static float[] TrainGpt(ulong seed, int steps, int threads)
            {
                var model = new Gpt(seed);
                var batch = new Gpt.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Adam(1e-2f), threads, clipNorm: 1f);
                var losses = new float[steps];
                for (int i = 0; i < steps; i++)
                {
                    losses[i] = trainer.Step(batch);
                }

                return losses;
            }

            // Task: label 1 iff token 7 occurs in the row (random lengths 2..8, ids 0..11).
            private static void Sample(FirstToken.Batch batch, Random random)
            {
                Span<int> ids = stackalloc int[8];
                for (int row = 0; row < 16; row++)
                {
                    int length = random.Next(2, 9);
                    bool positive = random.Next(2) == 1;
                    for (int t = 0; t < length; t++)
                    {
                        int id = random.Next(12);
                        ids[t] = id == 7 ? 6 : id;
                    }

                    if (positive)
                    {
                        ids[random.Next(length)] = 7;
                    }

                    batch.SetText(row, ids[..length]);
                    batch.SetLabel(row, positive ? 1 : 0);
                }

                batch.Count = 16;
            }

            /// <summary>First-10 mean loss, last-10 mean loss, held-out accuracy.</summary>
            public static double[] TrainFirstToken(int steps)
            {
                var model = new FirstToken(seed: 11);
                var batch = new FirstToken.Batch();
                var random = new Random(5);
                using var trainer = model.CreateTrainer(new Adam(3e-3f), threads: 2);
                var losses = new float[steps];
                for (int i = 0; i < steps; i++)
                {
                    Sample(batch, random);
                    losses[i] = trainer.Step(batch);
                }

                int correct = 0;
                var heldOut = new Random(99);
                for (int round = 0; round < 8; round++)
                {
                    Sample(batch, heldOut);
                    trainer.Evaluate(batch);
                    for (int row = 0; row < 16; row++)
                    {
                        correct += trainer.Predict(row) == batch.Labels[row] ? 1 : 0;
                    }
                }

                return [losses.Take(10).Average(), losses.Skip(steps - 10).Average(), correct / 128.0];
            }

            /// <summary>One generic training loop over any generated trainer (issue 17): the first and last loss of each model.</summary>
            public static float[] GenericTraining()
            {
                var classifier = new PostNorm(seed: 3);
                var rows = new PostNorm.Batch();
                Fill(rows);
                using var classifierTrainer = classifier.CreateTrainer(new Adam(3e-3f));
                var translator = new Seq2Seq(seed: 3);
                var pairs = new Seq2Seq.Batch();
                Fill(pairs);
                using var translatorTrainer = translator.CreateTrainer(new Adam(3e-3f));
                (float first, float last) a = TrainAny(classifierTrainer, rows, 60);
                (float first, float last) b = TrainAny(translatorTrainer, pairs, 60);
                return [a.first, a.last, b.first, b.last];
            }

            private static (float First, float Last) TrainAny<TBatch>(global::ModelDsl.Training.ITrainer<TBatch> trainer, TBatch batch, int steps)
                where TBatch : global::ModelDsl.Training.IBatch
            {
                float first = trainer.Step(batch), last = first;
                for (int i = 1; i < steps; i++) last = trainer.Step(batch);
                return (first, trainer.Evaluate(batch));
            }

            /// <summary>The messages the generated checks give for the cases issue 17 lists (null where nothing was thrown).</summary>
            public static string?[] Misuse()
            {
                static string? Message(Action action)
                {
                    try { action(); return null; }
                    catch (Exception e) { return e.GetType().Name + ": " + e.Message; }
                }

                var translator = new Seq2Seq(seed: 3);
                var pairs = new Seq2Seq.Batch();
                Fill(pairs);
                using var trainer = translator.CreateTrainer(new Adam(1e-3f));
                trainer.Evaluate(pairs);
                int predicted = trainer.Predict(1, 1);
                string? perRow = Message(() => trainer.Predict(0));
                string? position = Message(() => trainer.Predict(1, trainer.LongestTarget));
                string? lengths = trainer.BatchCount + " rows, " + trainer.LongestSource + " x " + trainer.LongestTarget;
                pairs.SetLabels(1, [9, 2, 5]); // row 1's decoder input has 2 ids
                string? mismatch = Message(() => trainer.Step(pairs));
                pairs.Clear();
                string? cleared = pairs.Count + " " + pairs.SourceLengths.Sum() + " " + pairs.Labels.Distinct().Single();

                var classifier = new PostNorm(seed: 3);
                var rows = new PostNorm.Batch();
                Fill(rows);
                using var classifierTrainer = classifier.CreateTrainer(new Adam(1e-3f));
                classifierTrainer.Evaluate(rows);
                string? perPosition = Message(() => classifierTrainer.Predict(0, 0));
                string? row = Message(() => classifierTrainer.Predict(3));
                return [perRow, position, lengths, mismatch, cleared, perPosition, row, predicted >= 0 ? "ok" : null];
            }

            /// <summary>Bytes allocated by Step and by Evaluate, threads = 2, counted by <paramref name="measure"/>.</summary>
            public static long[] Allocations(Func<Action, long> measure)
            {
                var model = new PostNorm(seed: 3);
                var batch = new PostNorm.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new AdamW(1e-3f), threads: 2, schedule: new LinearWarmupSchedule(1e-3f, 10), clipNorm: 1f);
                var seq2seq = new Seq2Seq(seed: 3);
                var pairs = new Seq2Seq.Batch();
                Fill(pairs);
                using var translator = seq2seq.CreateTrainer(new Adam(1e-3f), threads: 2);
                return [measure(() => trainer.Step(batch)), measure(() => trainer.Evaluate(batch)), measure(() => translator.Step(pairs))];
            }
        }
        """;

    private static readonly Lazy<Assembly> Compiled = new(() => Load(PostNorm, PreNorm, Gpt, FirstToken, Seq2Seq, Seq2SeqPreNorm, Masked, Recurrent, Harness, FeatureTrainerTests.Models, FeatureTrainerTests.Harness));

    internal static object? Call(string method, params object[] arguments) => CallOn("Tiny.Harness", method, arguments);

    /// <summary>Invokes a static method of a harness class compiled with the models.</summary>
    internal static object? CallOn(string type, string method, params object[] arguments) =>
        CompiledType(type).GetMethod(method)!.Invoke(null, arguments);

    /// <summary>A type of the compiled models (nested types as <c>Outer+Inner</c>).</summary>
    internal static Type CompiledType(string name) => Compiled.Value.GetType(name) ?? throw new InvalidOperationException(name + " was not compiled");

    [Theory]
    [InlineData("CheckPostNorm")]
    [InlineData("CheckPreNorm")]
    [InlineData("CheckGpt")]
    [InlineData("CheckSeq2Seq")]
    [InlineData("CheckSeq2SeqPreNorm")]
    [InlineData("CheckMasked")]
    public void Backward_matches_finite_differences_for_every_parameter_tensor(string check)
    {
        var results = (List<(string Name, float Analytic, float Numeric)>)Call(check)!;

        // Error budget of the float32 Richardson estimate: the loss (~1) is computed in float32 with rounding
        // ~1e-6 relative (sums over <= 100 terms), divided by 2h = 0.02 (and the 4/3 Richardson weight) gives
        // ~1e-4 absolute; the h^4 truncation term with h = 0.02 is ~1e-7 * f^(5), negligible for these smooth
        // (GELU, tanh, softmax, LayerNorm) models. 1e-3 absolute + 2% relative is ten times that budget, while
        // a wrong backward (missing residual, transposed weight, missing 1/T) is off by tens of percent or more.
        var failures = results
            .Where(r => Math.Abs(r.Analytic - r.Numeric) > 1e-3 + (0.02 * Math.Abs(r.Numeric)))
            .Select(r => r.Name + ": analytic " + r.Analytic + ", numeric " + r.Numeric)
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Not vacuous: most sampled entries have a clearly non-zero gradient, and every tensor was sampled.
        Assert.True(results.Count(r => Math.Abs(r.Numeric) > 1e-3) > results.Count / 2, "too few non-zero gradients were checked");
        Assert.True(results.Select(r => r.Name).Distinct().Count() >= 6);
    }

    [Fact]
    public void Dropout_applies_in_training_only_with_masks_fixed_between_updates()
    {
        float[] losses = (float[])Call("DropoutModes")!;
        Assert.NotEqual(losses[0], losses[1]); // stack dropout 0.1 changes the training loss
        Assert.Equal(losses[1], losses[2]); // same Steps, same masks
        Assert.Equal(losses[0], losses[3]); // DropoutEnabled = false is the evaluation forward
    }

    [Fact]
    public void Same_seed_gives_bit_identical_losses_over_50_steps()
    {
        float[] first = (float[])Call("TrainGpt", 21UL, 50, 2)!;
        float[] second = (float[])Call("TrainGpt", 21UL, 50, 2)!;
        float[] other = (float[])Call("TrainGpt", 22UL, 50, 2)!;
        Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), second.Select(BitConverter.SingleToInt32Bits));
        Assert.NotEqual(first.Select(BitConverter.SingleToInt32Bits), other.Select(BitConverter.SingleToInt32Bits));

        // The GPT memorizes its fixed batch: the loss falls well below its start (ln 12 = 2.48 for a uniform guess).
        Assert.True(first[^1] < 0.5f * first[0], $"loss {first[0]} -> {first[^1]}");
    }

    [Fact]
    public void Encoder_classifier_learns_a_token_presence_task()
    {
        double[] result = (double[])Call("TrainFirstToken", 300)!;

        // Balanced binary labels: chance is 50% and loss ln 2 = 0.69 at the start.
        Assert.True(result[1] < 0.5 * result[0], $"loss {result[0]} -> {result[1]}");
        Assert.True(result[2] >= 0.85, $"held-out accuracy {result[2]}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Step_decoder_equals_the_teacher_forced_forward(int which)
    {
        double worst = (double)Call("DecoderMatchesTeacherForcing", which)!;

        // Same kernels, same float32 parameters; the step path sums attention over masked cache slots as zeros and
        // projects one row at a time, so results differ only by float32 rounding of reordered sums (log-probs ~ 1-3).
        Assert.True(worst < 1e-4, $"largest difference {worst}");
    }

    [Fact]
    public void Step_decoder_reorder_moves_the_cached_prefix()
    {
        double worst = (double)Call("ReorderMatchesFreshDecode")!;
        Assert.True(worst < 1e-5, $"largest difference {worst}"); // same rows and kernels: float32 rounding only
    }

    [Theory]
    [InlineData(0)] // GRU + Bahdanau (attention size 5)
    [InlineData(1)] // 2-layer bidirectional LSTM encoder, tanh bridge 10 -> 7, LSTM + Luong general, label smoothing
    [InlineData(2)] // bidirectional GRU encoder (2 x 4 = 8), GRU + Luong dot
    [InlineData(3)] // RNN encoder, bridge 6 -> 8, plain GRU decoder without attention
    [InlineData(4)] // Transformer with one embedding table shared by source, target and the tied output head
    [InlineData(5)] // bidirectional GRU encoder, tanh bridge 10 -> 7, LSTM + Luong concat (attention size 6), two threads
    [InlineData(6)] // 2-layer LSTM encoder (7) handing its last layer's final cell to an LSTM + Luong general decoder (CellFromEncoder)
    [InlineData(7)] // bidirectional LSTM encoder (4 + 4) handing its joined final cell to an LSTM + Bahdanau decoder (8), two threads
    public void Recurrent_encoder_decoder_backward_matches_finite_differences(int which)
    {
        var results = (List<(string Name, float Analytic, float Numeric)>)Call("CheckRecurrent", which)!;

        // Same budget as the Transformer checks above: float32 Richardson estimate, smooth (tanh/sigmoid/softmax) models.
        var failures = results
            .Where(r => Math.Abs(r.Analytic - r.Numeric) > 1e-3 + (0.02 * Math.Abs(r.Numeric)))
            .Select(r => r.Name + ": analytic " + r.Analytic + ", numeric " + r.Numeric)
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(results.Count(r => Math.Abs(r.Numeric) > 1e-3) > results.Count / 2, "too few non-zero gradients were checked");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Recurrent_step_decoder_equals_the_teacher_forced_forward(int which)
    {
        double worst = (double)Call("RecurrentDecoderMatchesTeacherForcing", which)!;

        // RecurrentDecoder.Step runs the forward's operations for that position; the head and log-softmax are the
        // same kernels on fewer rows: float32 rounding only.
        Assert.True(worst < 1e-4, $"largest difference {worst}");
    }

    [Fact]
    public void Recurrent_step_decoder_reorder_moves_the_states()
    {
        double worst = (double)Call("RecurrentReorderMatchesFreshDecode")!;
        Assert.True(worst < 1e-5, $"largest difference {worst}"); // same rows and kernels: float32 rounding only
    }

    [Fact]
    public void Scheduled_sampling_feeds_the_models_own_predictions()
    {
        float[][] runs = (float[][])Call("ScheduledSamplingMatchesHandBuiltInputs")!;
        Assert.Equal(runs[1].Select(BitConverter.SingleToInt32Bits), runs[0].Select(BitConverter.SingleToInt32Bits)); // p = 1: every input after the first is the prediction
        Assert.Equal(runs[3].Select(BitConverter.SingleToInt32Bits), runs[2].Select(BitConverter.SingleToInt32Bits)); // p = 0: teacher forcing
        Assert.NotEqual(runs[3].Select(BitConverter.SingleToInt32Bits), runs[0].Select(BitConverter.SingleToInt32Bits)); // the untrained model's predictions differ from the gold inputs
    }

    [Fact]
    public void Checkpoint_resume_is_bit_identical_to_the_straight_run()
    {
        string path = Path.Combine(Path.GetTempPath(), "modeldsl-trainer-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            float[][] runs = (float[][])Call("CheckpointResume", path)!;
            Assert.Equal(runs[0].Select(BitConverter.SingleToInt32Bits), runs[1].Select(BitConverter.SingleToInt32Bits));
            Assert.NotEqual(runs[0].Select(BitConverter.SingleToInt32Bits), runs[2].Select(BitConverter.SingleToInt32Bits)); // the last 6 steps did change them
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Encoder_decoder_learns_to_reverse_sequences()
    {
        double accuracy = (double)Call("TrainReverse", 1500)!;

        // Eight target tokens from 3..10 plus the end token: guessing gets about 1/8; a model that ignores the source
        // can only learn the end position. Reversal needs cross-attention to the right source position.
        Assert.True(accuracy >= 0.9, $"held-out teacher-forced token accuracy {accuracy}");
    }

    [Fact]
    public void Generated_trainer_checks_its_arguments()
    {
        Type model = Compiled.Value.GetType("Tiny.PostNorm")!;
        object instance = Activator.CreateInstance(model, 1UL)!;
        MethodInfo create = model.GetMethod("CreateTrainer")!;
        var error = Assert.Throws<TargetInvocationException>(() => create.Invoke(instance, [new ModelDsl.Optim.Sgd(0.1f), 0, null, 0f, 0UL]));
        Assert.Equal("threads", Assert.IsType<ArgumentOutOfRangeException>(error.InnerException).ParamName);

        using var trainer = (IDisposable)create.Invoke(instance, [new ModelDsl.Optim.Sgd(0.1f), 1, null, 0f, 0UL])!;
        object batch = Activator.CreateInstance(Compiled.Value.GetType("Tiny.PostNorm+Batch")!)!;
        error = Assert.Throws<TargetInvocationException>(() => trainer.GetType().GetMethod("Step")!.Invoke(trainer, [batch]));
        Assert.Contains("empty", Assert.IsType<ArgumentException>(error.InnerException).Message, StringComparison.Ordinal);
    }

    internal static Assembly Load(params string[] sources)
    {
        GeneratorOutcome outcome = GeneratorHarness.Run(sources);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        using var stream = new MemoryStream();
        // Own assembly name: GeneratedModelTests loads the default-named test assembly into the same context.
        Compilation release = outcome.Output
            .WithAssemblyName("ModelDsl.Generator.TrainerTests")
            .WithOptions(((CSharpCompilationOptions)outcome.Output.Options).WithOptimizationLevel(OptimizationLevel.Release));
        EmitResult result = release.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        stream.Position = 0;
        return AssemblyLoadContext.Default.LoadFromStream(stream);
    }
}

/// <summary>Issue 17: one training method for any model, the Predict overloads, the batch cross-checks, Clear.</summary>
public sealed class TrainerInterfaceTests
{
    [Fact]
    public void One_generic_method_trains_a_classifier_and_a_translator()
    {
        float[] losses = (float[])TrainerTests.Call("GenericTraining")!;
        Assert.True(losses[1] < 0.5f * losses[0], $"classifier: {losses[0]} -> {losses[1]}");
        Assert.True(losses[3] < 0.5f * losses[2], $"translator: {losses[2]} -> {losses[3]}");
    }

    [Fact]
    public void Misuse_gets_exceptions_that_name_the_head_the_row_and_the_lengths()
    {
        string?[] messages = (string?[])TrainerTests.Call("Misuse")!;
        Assert.Equal("InvalidOperationException: Seq2Seq.Trainer.Predict(row): Logits predicts one class per position ([B, T, 11]); call Predict(row, position).", messages[0]);
        Assert.StartsWith("ArgumentOutOfRangeException: Seq2Seq.Trainer: position 5 must be in [0, 5) (the longest Target row of the last forward pass).", messages[1]);
        Assert.Equal("3 rows, 7 x 5", messages[2]);
        Assert.Equal("InvalidOperationException: Seq2Seq.Batch: row 1 has Target of length 2 (SetTarget) but 3 labels (SetLabels); they must be equal.", messages[3]);
        Assert.Equal("0 0 -100", messages[4]); // Count, lengths, every label IgnoreIndex
        Assert.Equal("InvalidOperationException: PostNorm.Trainer.Predict(row, position): Head predicts one class per row ([B, 3]); call Predict(row).", messages[5]);
        Assert.StartsWith("ArgumentOutOfRangeException: PostNorm.Trainer: row 3 must be in [0, 3) (the rows of the last forward pass).", messages[6]);
        Assert.Equal("ok", messages[7]);
    }
}

/// <summary>The generated Step and Evaluate allocate nothing after warm-up (2 worker threads).</summary>
public sealed class TrainerAllocationTests
{
    [Fact]
    public void Step_and_Evaluate_allocate_nothing_after_warm_up()
    {
        long[] bytes = (long[])TrainerTests.Call("Allocations", Measure)!;
        Assert.Equal(0, bytes[0]);
        Assert.Equal(0, bytes[1]);
        Assert.Equal(0, bytes[2]); // encoder-decoder Step
        Assert.Equal(0L, (long)TrainerTests.Call("DecoderAllocations", Measure)!); // StepDecoder.Step + Reorder
        long[] recurrent = (long[])TrainerTests.Call("RecurrentAllocations", Measure)!;
        Assert.Equal(0L, recurrent[0]); // GRU + Bahdanau Step
        Assert.Equal(0L, recurrent[1]); // its StepDecoder.Step + Reorder
        Assert.Equal(0L, recurrent[2]); // LSTM + Luong concat Step
        Assert.Equal(0L, recurrent[3]); // its StepDecoder.Step + Reorder
        Assert.Equal(0L, recurrent[4]); // bidirectional LSTM encoder handing its cell (CellFromEncoder) Step
        Assert.Equal(0L, recurrent[5]); // its StepDecoder.Step + Reorder
    }

    // The harness is compiled at test time; it calls back into the shared counter.
    internal static readonly Func<Action, long> Measure = action => Allocations.Measure(action, repeats: 5, windows: 10);
}

