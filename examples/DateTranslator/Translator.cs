using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using ModelDsl.Data;
using ModelDsl.Decoding;
using ModelDsl.Metrics;
using ModelDsl.Tokenization;
using ModelDsl.Training;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// One of the example's encoder-decoders behind a model-independent face, so the program trains, evaluates and draws
/// every architecture through one path: <see cref="Fit"/> trains with the library's <c>trainer.Fit</c> on batches its
/// <see cref="BatchLoader{TBatch, TExample}"/> fills (<see cref="Translator{TBatch}"/>);
/// <see cref="Begin(DateDataset, int, int, int)"/> prepares the generated StepDecoder, which <see cref="Decoder"/> hands
/// to <see cref="GreedySearch"/> or <see cref="BeamSearch"/>. Each generated model gets a small sealed adapter
/// (<see cref="TransformerTranslator"/>, <see cref="GruBahdanauTranslator"/>, <see cref="GruLuongTranslator"/>,
/// <see cref="GruPlainTranslator"/>); <see cref="Create"/> picks one.
/// </summary>
/// <remarks>Decoding allocates nothing after construction; a training step inside <c>Fit</c> neither.</remarks>
public abstract class Translator : IDisposable
{
    /// <summary>Sets the shape every adapter reports.</summary>
    /// <param name="kind">The architecture.</param>
    /// <param name="description">One line about the architecture and its training set-up.</param>
    /// <param name="parameterCount">Trainable parameters.</param>
    /// <param name="maxBatch">The model's MaxBatch.</param>
    /// <param name="sourceLength">The model's longest source, in tokens.</param>
    /// <param name="targetLength">The model's decoder positions (start token included).</param>
    /// <param name="attention">What <see cref="CrossAttention"/> shows (for captions), or null when the decoder does not attend over the encoder states.</param>
    /// <param name="target">The held-out exact match the model is expected to reach (the bar), or null for none.</param>
    protected Translator(ModelKind kind, string description, int parameterCount, int maxBatch, int sourceLength, int targetLength,
        string? attention, double? target)
    {
        ArgumentNullException.ThrowIfNull(description);
        Guard.Positive(maxBatch);
        Guard.Positive(sourceLength);
        Guard.Positive(targetLength);
        Kind = kind;
        Description = description;
        ParameterCount = parameterCount;
        MaxBatch = maxBatch;
        SourceLength = sourceLength;
        TargetLength = targetLength;
        Attention = attention;
        Target = target;
    }

    /// <summary>The architecture.</summary>
    public ModelKind Kind { get; }

    /// <summary>One line about the architecture and its training set-up.</summary>
    public string Description { get; }

    /// <summary>Trainable parameters.</summary>
    public int ParameterCount { get; }

    /// <summary>Largest number of rows per training step and per decoded source batch.</summary>
    public int MaxBatch { get; }

    /// <summary>The model's longest source, in tokens.</summary>
    public int SourceLength { get; }

    /// <summary>The model's decoder positions (start token included): the longest search.</summary>
    public int TargetLength { get; }

    /// <summary>What <see cref="CrossAttention"/> shows, e.g. "Bahdanau attention"; null when the model has none.</summary>
    public string? Attention { get; }

    /// <summary>Whether the decoder attends over the encoder states; without it <see cref="CrossAttention"/> throws.</summary>
    [MemberNotNullWhen(true, nameof(Attention))]
    public bool HasAttention => Attention is not null;

    /// <summary>The held-out exact match the model is expected to reach, or null when it has no bar (the baseline).</summary>
    public double? Target { get; }

    /// <summary>The incremental decoder prepared by the last <c>Begin</c>, for the searches.</summary>
    public abstract IIncrementalDecoder Decoder { get; }

    /// <summary>Creates the translator for <paramref name="kind"/> with its training set-up.</summary>
    /// <param name="kind">The architecture.</param>
    /// <param name="steps">Planned training steps (the learning-rate schedule's length).</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="maxWidth">Largest beam width <c>Begin</c> will be asked for.</param>
    public static Translator Create(ModelKind kind, int steps, int threads, int maxWidth) => kind switch
    {
        ModelKind.Transformer => new TransformerTranslator(steps, threads, maxWidth),
        ModelKind.GruBahdanau => new GruBahdanauTranslator(steps, threads, maxWidth),
        ModelKind.GruLuong => new GruLuongTranslator(steps, threads, maxWidth),
        ModelKind.GruPlain => new GruPlainTranslator(steps, threads, maxWidth),
        ModelKind.TransformerCopy => new TransformerCopyTranslator(steps, threads, maxWidth),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown model kind."),
    };

    /// <summary>
    /// Trains with the library's <c>Fit</c>: <paramref name="train"/> through a <see cref="BatchLoader{TBatch, TExample}"/>
    /// (shuffled each epoch with <paramref name="loader"/>'s seed) and the teacher-forcing row writer (decoder input
    /// <c>&lt;s&gt; y1 .. yn</c>, labels <c>y1 .. yn &lt;/s&gt;</c>), evaluating on <paramref name="validation"/> as
    /// <paramref name="options"/> say.
    /// </summary>
    /// <param name="train">Training pairs (token ids without special tokens).</param>
    /// <param name="validation">Validation pairs (not shuffled), or null for no evaluation.</param>
    /// <param name="options">Steps, evaluation, metrics, callbacks.</param>
    /// <param name="loader">Batch size and shuffle seed of the training batches.</param>
    /// <returns>The run's history.</returns>
    public abstract History Fit(IReadOnlyList<TokenPair> train, IReadOnlyList<TokenPair>? validation, FitOptions options, LoaderOptions loader);

    /// <summary>Encodes pairs <c>[start, start + count)</c> of <paramref name="data"/> and prepares <c>count × width</c> decoder rows.</summary>
    /// <param name="data">The pairs.</param>
    /// <param name="start">The first pair.</param>
    /// <param name="count">Pairs, 1 to <see cref="MaxBatch"/>.</param>
    /// <param name="width">Hypotheses per source (the beam width; 1 for greedy).</param>
    public void Begin(DateDataset data, int start, int count, int width = 1)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckRows(count, width, nameof(count));
        if (start < 0 || start > data.Count - count)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, $"Pairs [{start}, {start + count}) are not all in the {data.Count} pairs.");
        }

        for (int row = 0; row < count; row++)
        {
            SetSource(row, data.SourceIds(start + row));
        }

        SetCount(count);
        BeginDecoder(width);
    }

    /// <summary>Encodes written dates and prepares <c>sources.Count × width</c> decoder rows.</summary>
    /// <param name="sources">The written dates, 1 to <see cref="MaxBatch"/>.</param>
    /// <param name="width">Hypotheses per source (the beam width; 1 for greedy).</param>
    /// <exception cref="ArgumentException">A source is longer than <see cref="SourceLength"/> or has a character outside the vocabulary.</exception>
    public void Begin(IReadOnlyList<string> sources, int width = 1)
    {
        ArgumentNullException.ThrowIfNull(sources);
        CheckRows(sources.Count, width, nameof(sources));
        for (int row = 0; row < sources.Count; row++)
        {
            int[] ids = DateDataset.Encode(sources[row]);
            if (ids.Length > SourceLength)
            {
                throw new ArgumentException($"\"{sources[row]}\" has {ids.Length} characters; the model reads at most {SourceLength}.", nameof(sources));
            }

            SetSource(row, ids);
        }

        SetCount(sources.Count);
        BeginDecoder(width);
    }

    /// <summary>
    /// Greedy-decodes pairs <c>[0, count)</c> of <paramref name="data"/> in batches of <see cref="MaxBatch"/> and counts
    /// each in <paramref name="tally"/> under its source length: exact when the search ended with the end token and
    /// wrote exactly the target.
    /// </summary>
    /// <param name="data">The pairs.</param>
    /// <param name="count">How many of the first pairs to decode.</param>
    /// <param name="greedy">A search for at least <see cref="MaxBatch"/> sources, <see cref="TargetLength"/> steps and the model's vocabulary.</param>
    /// <param name="tally">Receives one count per pair (it is not cleared first).</param>
    /// <param name="bleu">If given, also receives each decoded target against its reference (character ids), for corpus BLEU.</param>
    public void ExactMatch(DateDataset data, int count, GreedySearch greedy, ExactMatchByLength tally, CorpusBleu? bleu = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(greedy);
        ArgumentNullException.ThrowIfNull(tally);
        Guard.InRange(count, data.Count + 1);
        SpecialTokens special = DateDataset.Vocabulary.Special;
        for (int start = 0; start < count; start += MaxBatch)
        {
            int rows = Math.Min(MaxBatch, count - start);
            Begin(data, start, rows);
            greedy.Run(Decoder, rows, special.Bos, special.Eos, TargetLength);
            for (int row = 0; row < rows; row++)
            {
                // Ids against ids: any id the model writes (even one past the characters) is simply wrong.
                int index = start + row;
                tally.Add(data.Pairs[index].Source.Length, greedy.Ended(row) && greedy.Tokens(row).SequenceEqual(data.TargetIds(index)));
                bleu?.Add(greedy.Tokens(row), data.TargetIds(index));
            }
        }
    }

    /// <summary>
    /// The attention weights over the source positions (<see cref="DecodedSourceLength"/> of them) when decoder row
    /// <paramref name="row"/> was fed its token at <paramref name="step"/>: what <see cref="Attention"/> names.
    /// </summary>
    /// <exception cref="NotSupportedException">The model has no attention (<see cref="HasAttention"/> is false).</exception>
    public ReadOnlySpan<float> CrossAttention(int row, int step) => HasAttention
        ? DecoderCrossAttention(row, step)
        : throw new NotSupportedException($"The {Options.Name(Kind)} model has no attention: its decoder reads only the encoder's final state.");

    /// <summary>The real source positions of decoder row <paramref name="row"/> (as the last <c>Begin</c> prepared it).</summary>
    public abstract int DecodedSourceLength(int row);

    /// <summary>Frees the trainer's and the decoder's worker pools.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the adapter's trainer and decoder.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>.</param>
    protected abstract void Dispose(bool disposing);

    /// <summary>Writes row <paramref name="row"/>'s source ids into the model's batch.</summary>
    protected abstract void SetSource(int row, ReadOnlySpan<int> ids);

    /// <summary>Sets the rows in use of the model's batch.</summary>
    protected abstract void SetCount(int count);

    /// <summary>Returns <paramref name="value"/>, or throws naming it when it is not positive (for constructor chains).</summary>
    protected static int RequirePositive(int value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        Guard.Positive(value, name);
        return value;
    }

    /// <summary>Runs the model's StepDecoder.Begin on its batch.</summary>
    protected abstract void BeginDecoder(int width);

    /// <summary>The model's StepDecoder.CrossAttention (only called when <see cref="HasAttention"/>).</summary>
    protected abstract ReadOnlySpan<float> DecoderCrossAttention(int row, int step);

    private void CheckRows(int count, int width, string name)
    {
        if (count < 1 || count > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(name, count, $"{count} rows given; the model takes 1 to {MaxBatch}.");
        }

        Guard.Positive(width);
    }
}

/// <summary>
/// The part of a <see cref="Translator"/> that is the same for every generated model: training through the model's
/// trainer and <c>Fit</c>, and sources written into its generated <c>Batch</c> through the batch's generic setters
/// (<see cref="IBatchRows"/>) for its StepDecoder. An adapter only creates the model, its trainer and decoder.
/// </summary>
/// <typeparam name="TBatch">The model's generated <c>Batch</c>.</typeparam>
public abstract class Translator<TBatch> : Translator
    where TBatch : IBatchRows, new()
{
    private readonly TBatch _batch = new();
    private readonly int _sourceInput;
    private readonly ITrainer<TBatch> _trainer;
    private readonly IStepDecoder<TBatch> _decoder;

    /// <summary>Takes the model's trainer and decoder (disposed with the translator) and the shape every adapter reports.</summary>
    /// <param name="kind">The architecture.</param>
    /// <param name="description">One line about the architecture and its training set-up.</param>
    /// <param name="parameterCount">Trainable parameters.</param>
    /// <param name="sourceLength">The model's longest source, in tokens.</param>
    /// <param name="targetLength">The model's decoder positions (start token included).</param>
    /// <param name="attention">What the cross-attention shows, or null when the decoder does not attend.</param>
    /// <param name="target">The held-out exact match the model is expected to reach, or null for none.</param>
    /// <param name="trainer">The model's trainer.</param>
    /// <param name="decoder">The model's StepDecoder.</param>
    protected Translator(ModelKind kind, string description, int parameterCount, int sourceLength, int targetLength, string? attention, double? target,
        ITrainer<TBatch> trainer, IStepDecoder<TBatch> decoder)
        : base(kind, description, parameterCount, new TBatch().MaxBatch, sourceLength, targetLength, attention, target)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(decoder);
        _trainer = trainer;
        _decoder = decoder;
        _sourceInput = _batch.Layout.IndexOf("Source");
    }

    /// <inheritdoc/>
    public override IIncrementalDecoder Decoder => _decoder;

    /// <inheritdoc/>
    public override History Fit(IReadOnlyList<TokenPair> train, IReadOnlyList<TokenPair>? validation, FitOptions options, LoaderOptions loader)
    {
        SpecialTokens special = DateDataset.Vocabulary.Special;
        RowWriter<TBatch, TokenPair> teacherForcing = RowWriters.TeacherForcing<TBatch>(special.Bos, special.Eos, DateDataset.TargetLength);
        var trainBatches = new BatchLoader<TBatch, TokenPair>(train, teacherForcing, loader);
        var validationBatches = validation is null ? null : new BatchLoader<TBatch, TokenPair>(validation, teacherForcing, new LoaderOptions { Shuffle = false });
        return _trainer.Fit(trainBatches, validationBatches, options);
    }

    /// <inheritdoc/>
    protected override void SetSource(int row, ReadOnlySpan<int> ids) => _batch.SetTokens(_sourceInput, row, ids);

    /// <inheritdoc/>
    protected override void SetCount(int count) => _batch.Count = count;

    /// <inheritdoc/>
    protected override void BeginDecoder(int width) => _decoder.Begin(_batch, width);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _decoder.Dispose();
            _trainer.Dispose();
        }
    }
}
