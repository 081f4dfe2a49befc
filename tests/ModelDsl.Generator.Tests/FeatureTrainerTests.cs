using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// The generated trainer for feature inputs (dense and sequences), [MseLoss] heads, [BatchNorm] and standalone
/// [MultiHeadAttention]: whole-model gradient checks, the running statistics against the formula, evaluation with
/// them, learning a function, checkpoints. The models compile with <see cref="TrainerTests"/>' assembly.
/// </summary>
public sealed class FeatureTrainerTests
{
    internal const string Models = """
        using ModelDsl;

        namespace Tiny;

        /// <summary>The Regressor's shape with a smooth activation: dense features, tanh, BatchNorm (momentum 0.2), MSE per row.</summary>
        [Model(MaxBatch = 8)]
        public partial class FeatureRegressor
        {
            [Input(Features = 5)] public partial FeatureInput X { get; }
            [Dense(8, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
            [BatchNorm(Momentum = 0.2f)] public partial Norm Norm { get; }
            [Dense(3)] [MseLoss] public partial Dense Out { get; }
        }

        /// <summary>A feature sequence straight into sinusoidal positions and a Transformer encoder, mean pool, cross-entropy.</summary>
        [Model(MaxBatch = 4)]
        public partial class SignalClassifier
        {
            public const int Length = 6, D = 8, Classes = 3;

            [Input(Length, Features = D)] public partial FeatureInput Signal { get; }
            [SinusoidalPositions] public partial Positions Positions { get; }
            [TransformerEncoder(Heads = 2, FeedForward = 16, Mask = Masks.KeyPadding, Activation = Activation.Gelu, Dropout = 0f)]
            public partial EncoderStack Encoder { get; }
            [MeanPool] public partial Pool Pool { get; }
            [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
        }

        /// <summary>
        /// Standalone attention: self-attention over embedded source tokens (key padding), causal self-attention over a feature
        /// sequence read directly, cross-attention from it to the source (memory key padding); per-position cross-entropy.
        /// </summary>
        [Model(MaxBatch = 4)]
        public partial class Attentive
        {
            public const int Vocab = 12, D = 8, SourceLength = 7, QueryLength = 5, Classes = 4;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(QueryLength, Features = D)] public partial FeatureInput Query { get; }
            [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [MultiHeadAttention(2, Mask = Masks.KeyPadding)] public partial AttentionBlock SourceSelf { get; }
            [MultiHeadAttention(2, From = nameof(Query), Mask = Masks.Causal | Masks.KeyPadding)] public partial AttentionBlock QuerySelf { get; }
            [MultiHeadAttention(4, Memory = nameof(SourceSelf))] public partial AttentionBlock Cross { get; }
            [Dense(Classes)] [CrossEntropyLoss(IgnoreIndex = -1)] public partial Dense Head { get; }
        }

        /// <summary>
        /// Attentive with PyTorch's nn.MultiheadAttention(dropout = 0.3) on all three blocks: the only dropout of the model is on
        /// the attention probabilities.
        /// </summary>
        [Model(MaxBatch = 4)]
        public partial class AttentiveDropout
        {
            public const int Vocab = 12, D = 8, SourceLength = 7, QueryLength = 5, Classes = 4;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(QueryLength, Features = D)] public partial FeatureInput Query { get; }
            [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [MultiHeadAttention(2, Mask = Masks.KeyPadding, Dropout = 0.3f)] public partial AttentionBlock SourceSelf { get; }
            [MultiHeadAttention(2, From = nameof(Query), Mask = Masks.Causal | Masks.KeyPadding, Dropout = 0.3f)] public partial AttentionBlock QuerySelf { get; }
            [MultiHeadAttention(4, Memory = nameof(SourceSelf), Dropout = 0.3f)] public partial AttentionBlock Cross { get; }
            [Dense(Classes)] [CrossEntropyLoss(IgnoreIndex = -1)] public partial Dense Head { get; }
        }

        /// <summary>
        /// The other way round: causal self-attention straight on a feature input is the memory of a cross-attention from the
        /// embedded tokens (so its values reach the loss linearly); per-position cross-entropy along the tokens.
        /// </summary>
        [Model(MaxBatch = 4)]
        public partial class AttentiveMemory
        {
            public const int Vocab = 12, D = 8, SourceLength = 7, QueryLength = 5, Classes = 4;

            [Input(SourceLength)] public partial TokenInput Source { get; }
            [Input(QueryLength, Features = D)] public partial FeatureInput Query { get; }
            [MultiHeadAttention(2, Mask = Masks.Causal | Masks.KeyPadding)] public partial AttentionBlock QuerySelf { get; }
            [Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }
            [MultiHeadAttention(2, Memory = nameof(QuerySelf))] public partial AttentionBlock Cross { get; }
            [Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }
        }

        /// <summary>
        /// An encoder-decoder over a feature source (speech-like frames): projection, BatchNorm over the valid frames, encoder;
        /// a causal token decoder cross-attends to it. The StepDecoder's encoder pass runs the BatchNorm in evaluation mode.
        /// </summary>
        [Model(MaxBatch = 4)]
        public partial class FrameTranslator
        {
            public const int Frames = 7, FrameWidth = 5, Vocab = 11, D = 8, TargetLength = 5;

            [Input(Frames, Features = FrameWidth)] public partial FeatureInput Audio { get; }
            [Input(TargetLength)] public partial TokenInput Target { get; }
            [Dense(D, From = nameof(Audio), Activation = Activation.Tanh)] public partial Dense Project { get; }
            [BatchNorm] public partial Norm Norm { get; }
            [TransformerEncoder(Heads = 2, FeedForward = 16, Mask = Masks.KeyPadding, Activation = Activation.Gelu, Dropout = 0f)] public partial EncoderStack Encoder { get; }
            [Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }
            [TransformerDecoder(Heads = 2, FeedForward = 16, Memory = nameof(Encoder), Activation = Activation.Gelu, Dropout = 0f)] public partial DecoderStack Decoder { get; }
            [Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }
        }

        /// <summary>Per-position regression over a feature sequence: BatchNorm and MSE over the valid positions only.</summary>
        [Model(MaxBatch = 4)]
        public partial class SequenceRegressor
        {
            public const int Length = 5, Features = 3;

            [Input(Length, Features = Features)] public partial FeatureInput X { get; }
            [Dense(6, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
            [BatchNorm] public partial Norm Norm { get; }
            [Dense(2)] [MseLoss] public partial Dense Out { get; }
        }

        /// <summary>BatchNorm straight on dense features, for the running-statistics checks.</summary>
        [Model(MaxBatch = 8)]
        public partial class Normalizer
        {
            [Input(Features = 3)] public partial FeatureInput X { get; }
            [BatchNorm(Momentum = 0.25f)] public partial Norm Norm { get; }
            [Dense(2)] [MseLoss] public partial Dense Out { get; }
        }

        /// <summary>BatchNorm straight on a feature sequence: the statistics must ignore the padded positions.</summary>
        [Model(MaxBatch = 4)]
        public partial class SequenceNormalizer
        {
            [Input(4, Features = 3)] public partial FeatureInput X { get; }
            [BatchNorm(Momentum = 0.5f)] public partial Norm Norm { get; }
            [Dense(2)] [MseLoss] public partial Dense Out { get; }
        }

        /// <summary>A regressor with room to learn y = (x0 x1, sin(2 x2) + x3 / 2).</summary>
        [Model(MaxBatch = 32)]
        public partial class Learner
        {
            [Input(Features = 4)] public partial FeatureInput X { get; }
            [Dense(32, Activation = Activation.Tanh)] public partial Dense Hidden { get; }
            [BatchNorm] public partial Norm Norm { get; }
            [Dense(32, Activation = Activation.Tanh)] public partial Dense Hidden2 { get; }
            [Dense(2)] [MseLoss] public partial Dense Out { get; }
        }
        """;

    internal const string Harness = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using ModelDsl;
        using ModelDsl.Optim;

        namespace Tiny;

        public static class FeatureHarness
        {
            private static float[] Values(Random random, int count, float scale = 1f)
            {
                var values = new float[count];
                for (int i = 0; i < count; i++) values[i] = ((2f * (float)random.NextDouble()) - 1f) * scale;
                return values;
            }

            private static void Fill(FeatureRegressor.Batch batch)
            {
                var random = new Random(1);
                for (int row = 0; row < 6; row++) { batch.SetX(row, Values(random, 5, 2f)); batch.SetTarget(row, Values(random, 3)); }
                batch.Count = 6;
            }

            // Lengths 6, 3, 1: the key padding and the mean pool both matter.
            private static void Fill(SignalClassifier.Batch batch)
            {
                var random = new Random(2);
                int[] lengths = [6, 3, 1];
                for (int row = 0; row < 3; row++) { batch.SetSignal(row, Values(random, lengths[row] * 8)); batch.SetLabel(row, row); }
                batch.Count = 3;
            }

            // Source lengths 7, 4, 1 and query lengths 5, 2, 3; one ignored label.
            private static void Fill(Attentive.Batch batch)
            {
                var random = new Random(3);
                batch.SetSource(0, [1, 5, 7, 2, 9, 10, 3]); batch.SetSource(1, [3, 3, 8, 4]); batch.SetSource(2, [10]);
                batch.SetQuery(0, Values(random, 5 * 8)); batch.SetQuery(1, Values(random, 2 * 8)); batch.SetQuery(2, Values(random, 3 * 8));
                batch.SetLabels(0, [1, 3, 0, 2, 2]); batch.SetLabels(1, [3, -1]); batch.SetLabels(2, [0, 1, 3]);
                batch.Count = 3;
            }

            private static void Fill(AttentiveDropout.Batch batch)
            {
                var random = new Random(3);
                batch.SetSource(0, [1, 5, 7, 2, 9, 10, 3]); batch.SetSource(1, [3, 3, 8, 4]); batch.SetSource(2, [10]);
                batch.SetQuery(0, Values(random, 5 * 8)); batch.SetQuery(1, Values(random, 2 * 8)); batch.SetQuery(2, Values(random, 3 * 8));
                batch.SetLabels(0, [1, 3, 0, 2, 2]); batch.SetLabels(1, [3, -1]); batch.SetLabels(2, [0, 1, 3]);
                batch.Count = 3;
            }

            private static void Fill(AttentiveMemory.Batch batch)
            {
                var random = new Random(3);
                batch.SetSource(0, [1, 5, 7, 2, 9, 10, 3]); batch.SetSource(1, [3, 3, 8, 4]); batch.SetSource(2, [10]);
                batch.SetQuery(0, Values(random, 5 * 8)); batch.SetQuery(1, Values(random, 2 * 8)); batch.SetQuery(2, Values(random, 3 * 8));
                batch.SetLabels(0, [1, 3, 0, 2, 2, 1, 0]); batch.SetLabels(1, [3, 0, 1, 2]); batch.SetLabels(2, [2]);
                batch.Count = 3;
            }

            // Lengths 5, 2, 3: padded positions exist in every row but the first.
            private static void Fill(SequenceRegressor.Batch batch)
            {
                var random = new Random(4);
                int[] lengths = [5, 2, 3];
                for (int row = 0; row < 3; row++) { batch.SetX(row, Values(random, lengths[row] * 3, 2f)); batch.SetTarget(row, Values(random, lengths[row] * 2)); }
                batch.Count = 3;
            }

            // The loss of the gradient check is ComputeGradients itself: a training-mode forward (batch statistics); the running
            // statistics it updates do not enter that loss.
            public static List<(string Name, float Analytic, float Numeric)> CheckFeatureRegressor()
            {
                var model = new FeatureRegressor(seed: 3);
                var batch = new FeatureRegressor.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                return Harness.Check(FeatureRegressor.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.ComputeGradients(batch), () => trainer.Gradients.Span.ToArray());
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckSignalClassifier()
            {
                var model = new SignalClassifier(seed: 4);
                var batch = new SignalClassifier.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                return Harness.Check(SignalClassifier.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckAttentive()
            {
                var model = new Attentive(seed: 5);
                var batch = new Attentive.Batch();
                Fill(batch);
                // The query path reaches the loss only through the cross-attention weights: sharpen them (q and k rows x 3) so its
                // gradients are large enough for float32 finite differences.
                ParameterEntry cross = Attentive.ParameterTable.Single(e => e.Name == "cross.in_proj_weight");
                foreach (ref float w in model.Parameters.Span.Slice(cross.Offset, 2 * 8 * 8)) w *= 3f;
                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                return Harness.Check(Attentive.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
            }

            // ComputeGradients as the loss: the attention dropout masks depend only on the seed and Steps (no update here), so every
            // evaluation sees the same masks and the check covers the backward through the dropped probabilities.
            public static List<(string Name, float Analytic, float Numeric)> CheckAttentiveDropout()
            {
                var model = new AttentiveDropout(seed: 5);
                var batch = new AttentiveDropout.Batch();
                Fill(batch);
                ParameterEntry cross = AttentiveDropout.ParameterTable.Single(e => e.Name == "cross.in_proj_weight");
                foreach (ref float w in model.Parameters.Span.Slice(cross.Offset, 2 * 8 * 8)) w *= 3f; // as in CheckAttentive
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2, dropoutSeed: 7);
                return Harness.Check(AttentiveDropout.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.ComputeGradients(batch), () => trainer.Gradients.Span.ToArray());
            }

            /// <summary>
            /// AttentiveDropout: [Evaluate loss, training loss, training loss again (same Steps, same masks), training loss with
            /// DropoutEnabled = false, training loss after one Step (new masks) minus Evaluate's loss after that Step, Evaluate's loss
            /// of Attentive with the same parameters].
            /// </summary>
            public static float[] AttentionDropoutModes()
            {
                var model = new AttentiveDropout(seed: 5);
                var batch = new AttentiveDropout.Batch();
                Fill(batch);
                var undropped = new Attentive(seed: 5);
                var same = new Attentive.Batch();
                Fill(same);
                model.Parameters.Span.CopyTo(undropped.Parameters.Span);
                using var plain = undropped.CreateTrainer(new Sgd(0.1f));
                float reference = plain.Evaluate(same);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), dropoutSeed: 9);
                float evaluate = trainer.Evaluate(batch);
                float first = trainer.ComputeGradients(batch);
                float second = trainer.ComputeGradients(batch);
                trainer.DropoutEnabled = false;
                float disabled = trainer.ComputeGradients(batch);
                trainer.DropoutEnabled = true;
                trainer.Step(batch);
                float next = trainer.ComputeGradients(batch) - trainer.Evaluate(batch);
                return [evaluate, first, second, disabled, next, reference];
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckAttentiveMemory()
            {
                var model = new AttentiveMemory(seed: 8);
                var batch = new AttentiveMemory.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                return Harness.Check(AttentiveMemory.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.Evaluate(batch), () => trainer.Gradients.Span.ToArray());
            }

            public static List<(string Name, float Analytic, float Numeric)> CheckSequenceRegressor()
            {
                var model = new SequenceRegressor(seed: 6);
                var batch = new SequenceRegressor.Batch();
                Fill(batch);
                using var trainer = model.CreateTrainer(new Sgd(0.1f), threads: 2);
                return Harness.Check(SequenceRegressor.ParameterTable, model.Parameters, () => trainer.ComputeGradients(batch), () => trainer.ComputeGradients(batch), () => trainer.Gradients.Span.ToArray());
            }

            /// <summary>
            /// Running statistics after one ComputeGradients on batch 1 and one Step on batch 2, and the formula's values computed
            /// here in double: running = (1 - m) running + m batch, the variance unbiased. Returns [observed, expected] per call.
            /// </summary>
            public static double[][] RunningStatistics()
            {
                var model = new Normalizer(seed: 7);
                var batch = new Normalizer.Batch();
                var random = new Random(8);
                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                double[] expected = [0, 0, 0, 1, 1, 1]; // running_mean zeros, running_var ones
                var results = new List<double[]>();
                for (int call = 0; call < 2; call++)
                {
                    int rows = call == 0 ? 5 : 8;
                    var x = new float[rows][];
                    for (int row = 0; row < rows; row++) { x[row] = Values(random, 3, 3f); x[row][1] += 2f; batch.SetX(row, x[row]); batch.SetTarget(row, Values(random, 2)); }
                    batch.Count = rows;
                    if (call == 0) trainer.ComputeGradients(batch); else trainer.Step(batch);
                    Update(expected, x.Select(r => r.Select(v => (double)v).ToArray()).ToList(), 0.25);
                    results.Add(Read(model.State, Normalizer.StateTable));
                    results.Add((double[])expected.Clone());
                }

                return results.ToArray();
            }

            /// <summary>
            /// The same for BatchNorm on a feature sequence whose padded positions hold 1000 (written straight into the batch):
            /// the expected statistics use the valid positions only.
            /// </summary>
            public static double[][] SequenceRunningStatistics()
            {
                var model = new SequenceNormalizer(seed: 9);
                var batch = new SequenceNormalizer.Batch();
                var random = new Random(10);
                int[] lengths = [4, 1, 3];
                var valid = new List<double[]>();
                for (int row = 0; row < 3; row++)
                {
                    float[] values = Values(random, lengths[row] * 3, 2f);
                    batch.SetX(row, values);
                    batch.SetTarget(row, Values(random, lengths[row] * 2));
                    for (int i = lengths[row] * 3; i < 12; i++) batch.X[(row * 12) + i] = 1000f; // padding the trainer must not count
                    for (int t = 0; t < lengths[row]; t++) valid.Add(values.Skip(t * 3).Take(3).Select(v => (double)v).ToArray());
                }

                batch.Count = 3;
                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                trainer.Step(batch);
                double[] expected = [0, 0, 0, 1, 1, 1];
                Update(expected, valid, 0.5);
                return [Read(model.State, SequenceNormalizer.StateTable), expected];
            }

            private static void Update(double[] running, List<double[]> rows, double momentum)
            {
                int n = rows.Count;
                for (int c = 0; c < 3; c++)
                {
                    double mean = rows.Sum(r => r[c]) / n;
                    double unbiased = rows.Sum(r => (r[c] - mean) * (r[c] - mean)) / (n - 1);
                    running[c] = ((1 - momentum) * running[c]) + (momentum * mean);
                    running[3 + c] = ((1 - momentum) * running[3 + c]) + (momentum * unbiased);
                }
            }

            private static double[] Read(ModelDsl.Memory.AlignedBlock state, IReadOnlyList<ParameterEntry> table)
            {
                var values = new List<double>();
                foreach (string name in new[] { "norm.running_mean", "norm.running_var" })
                {
                    ParameterEntry entry = table.Single(e => e.Name == name);
                    for (int i = 0; i < entry.Length; i++) values.Add(state.Span[entry.Offset + i]);
                }

                return values.ToArray();
            }

            /// <summary>
            /// Evaluate with hand-set running statistics and affine parameters: [largest |Predictions - formula|, 1 if Evaluate changed
            /// the state, largest |training-mode predictions - formula| (batch statistics differ from the running ones)].
            /// </summary>
            public static double[] EvaluateUsesRunningStatistics()
            {
                var model = new Normalizer(seed: 11);
                var batch = new Normalizer.Batch();
                var random = new Random(12);
                for (int row = 0; row < 4; row++) { batch.SetX(row, Values(random, 3, 2f)); batch.SetTarget(row, Values(random, 2)); }
                batch.Count = 4;
                float[] runningMean = [0.5f, -1f, 2f], runningVar = [4f, 0.25f, 1f], gamma = [1.5f, -0.5f, 2f], beta = [0.1f, 0.2f, -0.3f];
                Span<float> state = model.State.Span, parameters = model.Parameters.Span;
                Offset(Normalizer.StateTable, "norm.running_mean", state, runningMean);
                Offset(Normalizer.StateTable, "norm.running_var", state, runningVar);
                Offset(Normalizer.ParameterTable, "norm.weight", parameters, gamma);
                Offset(Normalizer.ParameterTable, "norm.bias", parameters, beta);
                float[] weight = Get(Normalizer.ParameterTable, "out.weight", parameters), bias = Get(Normalizer.ParameterTable, "out.bias", parameters);
                float[] before = model.State.Span.ToArray();

                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                trainer.Evaluate(batch);
                float[] evaluated = trainer.Predictions.ToArray();
                bool changed = !before.SequenceEqual(model.State.Span.ToArray());
                trainer.ComputeGradients(batch);
                float[] trained = trainer.Predictions.ToArray();

                double worst = 0, training = 0;
                for (int row = 0; row < 4; row++)
                {
                    var z = new double[3];
                    for (int c = 0; c < 3; c++) z[c] = ((batch.X[(row * 3) + c] - runningMean[c]) / Math.Sqrt(runningVar[c] + 1e-5) * gamma[c]) + beta[c];
                    for (int j = 0; j < 2; j++)
                    {
                        double y = bias[j];
                        for (int c = 0; c < 3; c++) y += weight[(j * 3) + c] * z[c];
                        worst = Math.Max(worst, Math.Abs(evaluated[(row * 2) + j] - y));
                        training = Math.Max(training, Math.Abs(trained[(row * 2) + j] - y));
                    }
                }

                return [worst, changed ? 1 : 0, training];
            }

            /// <summary>
            /// The per-position MSE of Evaluate and the mean of (prediction - target)² over the valid positions computed here from
            /// Predictions ([B, T, 2], T = 5) and the targets; the targets' padded positions hold 1000, which must not count.
            /// </summary>
            public static double[] SequenceLoss()
            {
                var model = new SequenceRegressor(seed: 6);
                var batch = new SequenceRegressor.Batch();
                Fill(batch);
                int[] lengths = [5, 2, 3];
                for (int row = 0; row < 3; row++) for (int i = lengths[row] * 2; i < 10; i++) batch.Targets[(row * 10) + i] = 1000f;
                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                trainer.Step(batch); // running statistics away from their initial values
                float loss = trainer.Evaluate(batch);
                float[] predictions = trainer.Predictions.ToArray();
                if (predictions.Length != 3 * 5 * 2) throw new InvalidOperationException("Predictions has " + predictions.Length + " values");
                double sum = 0;
                int count = 0;
                for (int row = 0; row < 3; row++)
                {
                    for (int i = 0; i < lengths[row] * 2; i++)
                    {
                        double difference = predictions[(row * 10) + i] - batch.Targets[(row * 10) + i];
                        sum += difference * difference;
                        count++;
                    }
                }

                return [loss, sum / count];
            }

            /// <summary>
            /// Largest difference between the StepDecoder's log-probabilities (encoder pass over the feature source, BatchNorm with
            /// the running statistics) and log_softmax of Evaluate's teacher-forced logits, after two training steps.
            /// </summary>
            public static double FrameDecoderMatchesTeacherForcing()
            {
                var model = new FrameTranslator(seed: 15);
                var batch = new FrameTranslator.Batch();
                var random = new Random(16);
                int[] frames = [7, 4, 2];
                for (int row = 0; row < 3; row++) batch.SetAudio(row, Values(random, frames[row] * 5, 2f));
                batch.SetTarget(0, [1, 4, 6, 2, 8]); batch.SetTarget(1, [1, 9]); batch.SetTarget(2, [1, 7, 7]);
                batch.SetLabels(0, [4, 6, 2, 8, 2]); batch.SetLabels(1, [9, 2]); batch.SetLabels(2, [7, 7, 2]);
                batch.Count = 3;
                using var trainer = model.CreateTrainer(new Adam(1e-2f));
                trainer.Step(batch);
                trainer.Step(batch);
                trainer.Evaluate(batch);
                using var decoder = model.CreateDecoder(maxRows: 3);
                decoder.Begin(batch);
                return Harness.Compare(trainer.Logits.ToArray(), batch.Target, batch.TargetLengths, 3, FrameTranslator.TargetLength, FrameTranslator.Vocab, (tokens, step, output) => decoder.Step(tokens, step, output));
            }

            /// <summary>The exception a training step with BatchNorm throws for a one-row batch (no batch variance), and Evaluate's loss.</summary>
            public static object[] OneRow()
            {
                var model = new FeatureRegressor(seed: 3);
                var batch = new FeatureRegressor.Batch();
                Fill(batch);
                batch.Count = 1;
                using var trainer = model.CreateTrainer(new Sgd(0.1f));
                try
                {
                    trainer.Step(batch);
                    return ["no exception", trainer.Evaluate(batch)];
                }
                catch (ArgumentException exception)
                {
                    return [exception.Message, trainer.Evaluate(batch)];
                }
            }

            private static void Offset(IReadOnlyList<ParameterEntry> table, string name, Span<float> block, float[] values) =>
                values.CopyTo(block.Slice(table.Single(e => e.Name == name).Offset, values.Length));

            private static float[] Get(IReadOnlyList<ParameterEntry> table, string name, Span<float> block)
            {
                ParameterEntry entry = table.Single(e => e.Name == name);
                return block.Slice(entry.Offset, entry.Length).ToArray();
            }

            private static void Sample(Learner.Batch batch, Random random)
            {
                Span<float> y = stackalloc float[2];
                for (int row = 0; row < 32; row++)
                {
                    float[] x = Values(random, 4);
                    y[0] = x[0] * x[1];
                    y[1] = MathF.Sin(2f * x[2]) + (0.5f * x[3]);
                    batch.SetX(row, x);
                    batch.SetTarget(row, y);
                }

                batch.Count = 32;
            }

            /// <summary>First-10 mean training loss, last-10 mean training loss, held-out Evaluate loss (running statistics).</summary>
            public static double[] TrainLearner(int steps)
            {
                var model = new Learner(seed: 13);
                var batch = new Learner.Batch();
                var random = new Random(14);
                using var trainer = model.CreateTrainer(new Adam(1e-2f), threads: 2);
                var losses = new float[steps];
                for (int i = 0; i < steps; i++)
                {
                    Sample(batch, random);
                    losses[i] = trainer.Step(batch);
                }

                var heldOut = new Random(99);
                double evaluated = 0;
                for (int round = 0; round < 4; round++)
                {
                    Sample(batch, heldOut);
                    evaluated += trainer.Evaluate(batch) / 4.0;
                }

                return [losses.Take(10).Average(), losses.Skip(steps - 10).Average(), evaluated];
            }

            /// <summary>
            /// Parameters and running statistics after 3 AdamW steps, then SaveCheckpoint; a fresh model (other seed) that loads it.
            /// Returns [parameters, state, loaded parameters, loaded state, the fresh model's state before loading].
            /// </summary>
            public static float[][] CheckpointKeepsRunningStatistics(string path)
            {
                var batch = new FeatureRegressor.Batch();
                Fill(batch);
                var model = new FeatureRegressor(seed: 3);
                using (var trainer = model.CreateTrainer(new AdamW(1e-2f)))
                {
                    for (int i = 0; i < 3; i++) trainer.Step(batch);
                    trainer.SaveCheckpoint(path);
                }

                var fresh = new FeatureRegressor(seed: 4);
                float[] initial = fresh.State.Span.ToArray();
                using (var trainer = fresh.CreateTrainer(new AdamW(1e-2f)))
                {
                    trainer.LoadCheckpoint(path);
                }

                return [model.Parameters.Span.ToArray(), model.State.Span.ToArray(), fresh.Parameters.Span.ToArray(), fresh.State.Span.ToArray(), initial];
            }

            /// <summary>Issue 14: non-finite inputs are refused by the setters; ErrorIfNonfinite stops a step before it changes anything.</summary>
            public static string?[] NonFinite()
            {
                static string? Message(Action action)
                {
                    try { action(); return null; }
                    catch (Exception e) { return e.GetType().Name + ": " + e.Message.Split('\n')[0]; }
                }

                var rows = new FeatureRegressor.Batch();
                var sequences = new SequenceRegressor.Batch();
                string? dense = Message(() => rows.SetX(1, [0f, 1f, float.NaN, 3f, 4f]));
                string? sequence = Message(() => sequences.SetX(2, [0f, 1f, 2f, 3f, float.PositiveInfinity, 5f]));
                string? target = Message(() => rows.SetTarget(0, [0f, float.NegativeInfinity, 1f]));

                // A NaN written straight into the public buffer (past the setter) reaches the loss.
                var model = new FeatureRegressor(seed: 3);
                Fill(rows);
                rows.X[2] = float.NaN;
                float[] before = model.Parameters.Span.ToArray();
                using var guarded = model.CreateTrainer(new Adam(1e-3f));
                guarded.ErrorIfNonfinite = true;
                string? stopped = Message(() => guarded.Step(rows));
                bool unchanged = model.Parameters.Span.SequenceEqual(before) && guarded.Steps == 0;
                using var unguarded = model.CreateTrainer(new Adam(1e-3f));
                unguarded.Step(rows);
                bool poisoned = float.IsNaN(model.Parameters.Span[0]) || model.Parameters.Span.ToArray().Any(float.IsNaN);
                return [dense, sequence, target, stopped, unchanged.ToString(), poisoned.ToString()];
            }

            /// <summary>Bytes allocated by Step and Evaluate of the regressors and by Step of the attention model (2 threads), counted by <paramref name="measure"/>.</summary>
            public static long[] Allocations(Func<Action, long> measure)
            {
                var regressor = new FeatureRegressor(seed: 3);
                var rows = new FeatureRegressor.Batch();
                Fill(rows);
                using var dense = regressor.CreateTrainer(new AdamW(1e-3f), threads: 2, clipNorm: 1f);
                var sequences = new SequenceRegressor(seed: 6);
                var positions = new SequenceRegressor.Batch();
                Fill(positions);
                using var perPosition = sequences.CreateTrainer(new Adam(1e-3f), threads: 2);
                var attentive = new Attentive(seed: 5);
                var pairs = new Attentive.Batch();
                Fill(pairs);
                using var attention = attentive.CreateTrainer(new Adam(1e-3f), threads: 2);
                var dropped = new AttentiveDropout(seed: 5);
                var droppedPairs = new AttentiveDropout.Batch();
                Fill(droppedPairs);
                using var attentionDropout = dropped.CreateTrainer(new Adam(1e-3f), threads: 2);
                return
                [
                    measure(() => dense.Step(rows)), measure(() => dense.Evaluate(rows)),
                    measure(() => perPosition.Step(positions)), measure(() => perPosition.Evaluate(positions)),
                    measure(() => attention.Step(pairs)), measure(() => attentionDropout.Step(droppedPairs)),
                ];
            }
        }
        """;

    [Theory]
    [InlineData("CheckFeatureRegressor")] // dense features, tanh, BatchNorm with batch statistics, MSE per row
    [InlineData("CheckSignalClassifier")] // feature sequence -> positions -> Transformer encoder -> mean pool -> cross-entropy
    [InlineData("CheckAttentive")] // standalone self-attention (key padding; causal + key padding on features) and cross-attention
    [InlineData("CheckAttentiveDropout")] // the same blocks with dropout 0.3 on their attention probabilities, masks fixed
    [InlineData("CheckAttentiveMemory")] // the same blocks with the feature self-attention as the cross-attention's memory
    [InlineData("CheckSequenceRegressor")] // BatchNorm and MSE over the valid positions of a feature sequence
    public void Backward_matches_finite_differences_for_every_parameter_tensor(string check)
    {
        var results = (List<(string Name, float Analytic, float Numeric)>)Call(check)!;

        // The budget of TrainerTests' checks: float32 Richardson estimate (~1e-4 absolute for losses ~1), smooth models (tanh,
        // GELU, softmax, LayerNorm, BatchNorm with a batch variance far from 0); a wrong backward is off by tens of percent.
        var failures = results
            .Where(r => Math.Abs(r.Analytic - r.Numeric) > 1e-3 + (0.02 * Math.Abs(r.Numeric)))
            .Select(r => r.Name + ": analytic " + r.Analytic + ", numeric " + r.Numeric)
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(results.Count(r => Math.Abs(r.Numeric) > 1e-3) > results.Count / 2, "too few non-zero gradients were checked");
        Assert.True(results.Select(r => r.Name).Distinct().Count() >= 6);
    }

    [Fact]
    public void Attention_dropout_changes_the_training_loss_only_while_enabled()
    {
        float[] losses = (float[])TrainerTests.CallOn("Tiny.FeatureHarness", "AttentionDropoutModes")!;

        // The model's only dropout is on the attention probabilities (p = 0.3 on 3 blocks), so any difference between the
        // training and the evaluation loss comes from it.
        Assert.NotEqual(losses[0], losses[1]); // training drops attention probabilities
        Assert.Equal(losses[1], losses[2]); // same Steps, same masks: the same bits
        Assert.Equal(losses[0], losses[3]); // DropoutEnabled = false is the evaluation forward
        Assert.NotEqual(0f, losses[4]); // after a Step the masks are new and still drop
        Assert.Equal(losses[5], losses[0]); // evaluation equals the same blocks declared without dropout
    }

    [Fact]
    public void BatchNorm_updates_the_running_statistics_once_per_training_forward()
    {
        double[][] results = (double[][])Call("RunningStatistics")!;

        // results: observed/expected after ComputeGradients (5 rows), then after Step (8 more rows). The kernel sums in float32
        // over <= 8 values of magnitude <= 5: ~1e-6 relative; 1e-5 absolute is ten times that, while a biased variance (n vs
        // n - 1 = 4: 25% off), a momentum applied the wrong way or a second update per call misses by more than 0.01.
        for (int i = 0; i < results.Length; i += 2)
        {
            for (int c = 0; c < 6; c++)
            {
                Assert.True(Math.Abs(results[i][c] - results[i + 1][c]) < 1e-5, $"call {i / 2}, statistic {c}: {results[i][c]} vs {results[i + 1][c]}");
            }
        }

        Assert.True(Math.Abs(results[3][1] - results[1][1]) > 0.01, "the second call did not move the running mean"); // not vacuous
    }

    [Fact]
    public void BatchNorm_on_a_sequence_counts_only_the_valid_positions()
    {
        double[][] results = (double[][])Call("SequenceRunningStatistics")!;

        // Same float32 budget as above; the padded positions hold 1000, so counting them would move the mean by ~100s.
        for (int c = 0; c < 6; c++)
        {
            Assert.True(Math.Abs(results[0][c] - results[1][c]) < 1e-5, $"statistic {c}: {results[0][c]} vs {results[1][c]}");
        }
    }

    [Fact]
    public void Evaluate_normalizes_with_the_running_statistics_and_leaves_them()
    {
        double[] result = (double[])Call("EvaluateUsesRunningStatistics")!;

        // Predictions (|y| <= ~10) through one float32 normalization and a 3-term dot product: rounding ~1e-6; 1e-4 leaves room.
        Assert.True(result[0] < 1e-4, $"largest difference {result[0]}");
        Assert.Equal(0.0, result[1]);
        Assert.True(result[2] > 0.1, $"the training-mode forward matched the running statistics too ({result[2]})"); // not vacuous
    }

    [Fact]
    public void Per_position_MSE_is_the_mean_over_the_valid_positions()
    {
        double[] result = (double[])Call("SequenceLoss")!;

        // 20 squared differences of values ~1 summed in double by the kernel and here: float32 rounding of the inputs only.
        // Counting a padded position (target 1000) would add ~1e5 / 30; dividing by all 30 elements would be 33% off.
        Assert.True(Math.Abs(result[0] - result[1]) < 1e-5 * Math.Max(1, result[1]), $"loss {result[0]}, expected {result[1]}");
    }

    [Fact]
    public void Step_decoder_over_a_feature_source_equals_the_teacher_forced_forward()
    {
        double worst = (double)Call("FrameDecoderMatchesTeacherForcing")!;

        // As TrainerTests' decoder checks: the same kernels on the same float32 parameters and running statistics, the step
        // path summing over fewer rows; float32 rounding only (log-probs ~ 1-3). A training-mode BatchNorm in the encoder
        // pass or stale source frames would be off by far more.
        Assert.True(worst < 1e-4, $"largest difference {worst}");
    }

    [Fact]
    public void A_training_step_with_BatchNorm_needs_two_rows()
    {
        object[] result = (object[])Call("OneRow")!;
        Assert.Contains("BatchNorm in training mode needs more than one value per channel", (string)result[0], StringComparison.Ordinal);
        Assert.True(float.IsFinite((float)result[1])); // evaluation (running statistics) works on one row
    }

    [Fact]
    public void Regressor_learns_a_smooth_function()
    {
        double[] result = (double[])Call("TrainLearner", 400)!;

        // The targets have variance ~0.5 (x0 x1: 1/9; sin(2 x2) + x3 / 2: ~0.45), so the untrained loss is ~0.3 per element
        // or more; predicting the mean leaves that variance. A fitted model gets well below a fifth of the start, also in
        // Evaluate on held-out rows with the running statistics.
        Assert.True(result[1] < 0.2 * result[0], $"loss {result[0]} -> {result[1]}");
        Assert.True(result[2] < 0.2 * result[0], $"held-out Evaluate loss {result[2]} (start {result[0]})");
    }

    [Fact]
    public void Checkpoint_keeps_the_running_statistics()
    {
        string path = Path.Combine(Path.GetTempPath(), "modeldsl-features-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            float[][] runs = (float[][])Call("CheckpointKeepsRunningStatistics", path)!;
            Assert.Equal(runs[0].Select(BitConverter.SingleToInt32Bits), runs[2].Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(runs[1].Select(BitConverter.SingleToInt32Bits), runs[3].Select(BitConverter.SingleToInt32Bits));
            Assert.NotEqual(runs[1].Select(BitConverter.SingleToInt32Bits), runs[4].Select(BitConverter.SingleToInt32Bits)); // three steps moved them
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Regression_trainer_has_Predictions_and_no_Predict()
    {
        Type trainer = TrainerTests.CompiledType("Tiny.FeatureRegressor+Trainer");
        Assert.NotNull(trainer.GetProperty("Predictions"));
        Assert.Null(trainer.GetProperty("Logits"));
        Assert.Null(trainer.GetMethod("Predict"));
    }

    private static object? Call(string method, params object[] arguments) => TrainerTests.CallOn("Tiny.FeatureHarness", method, arguments);
}

/// <summary>Issue 14: non-finite feature values and targets are refused where they enter; a trainer can refuse a non-finite step.</summary>
public sealed class NonFiniteInputTests
{
    [Fact]
    public void Setters_refuse_non_finite_values_and_ErrorIfNonfinite_leaves_the_parameters_untouched()
    {
        string?[] results = (string?[])TrainerTests.CallOn("Tiny.FeatureHarness", "NonFinite")!;
        Assert.Equal("ArgumentException: FeatureRegressor.Batch.X: value NaN at row 1, feature 2 is not finite; inputs and targets must be finite numbers. (Parameter 'values')", results[0]);
        Assert.Equal("ArgumentException: SequenceRegressor.Batch.X: value Infinity at row 2, position 1, feature 1 is not finite; inputs and targets must be finite numbers. (Parameter 'values')", results[1]);
        Assert.Equal("ArgumentException: FeatureRegressor.Batch.Targets: value -Infinity at row 0, feature 1 is not finite; inputs and targets must be finite numbers. (Parameter 'values')", results[2]);
        Assert.Equal("InvalidOperationException: FeatureRegressor.Trainer: the loss of step 1 is NaN; nothing was updated (ErrorIfNonfinite). Check the batch's inputs and targets, and the learning rate.", results[3]);
        Assert.Equal("True", results[4]); // parameters and Steps unchanged
        Assert.Equal("True", results[5]); // without the check, one step spreads the NaN into the parameters
    }
}

/// <summary>The generated Step and Evaluate of feature, MSE, BatchNorm and attention models allocate nothing after warm-up.</summary>
public sealed class FeatureTrainerAllocationTests
{
    [Fact]
    public void Step_and_Evaluate_allocate_nothing_after_warm_up()
    {
        long[] bytes = (long[])TrainerTests.CallOn("Tiny.FeatureHarness", "Allocations", TrainerAllocationTests.Measure)!;
        Assert.Equal(0, bytes[0]); // dense features + BatchNorm + MSE: Step
        Assert.Equal(0, bytes[1]); // and Evaluate
        Assert.Equal(0, bytes[2]); // sequence BatchNorm + per-position MSE (packing): Step
        Assert.Equal(0, bytes[3]); // and Evaluate
        Assert.Equal(0, bytes[4]); // standalone attention: Step
        Assert.Equal(0, bytes[5]); // and with dropout on the attention probabilities
    }
}
