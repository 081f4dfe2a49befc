using System;

namespace ModelDsl.Embeddings;

/// <summary>Which word2vec model: predict a word's neighbours from it (skip-gram) or it from their mean (CBOW).</summary>
public enum Word2VecArchitecture
{
    /// <summary>Skip-gram: each (word, neighbour) pair is one negative-sampling example.</summary>
    SkipGram,

    /// <summary>Continuous bag of words: the mean of the window's input vectors predicts the centre word.</summary>
    Cbow,
}

/// <summary>Hyper-parameters of <see cref="Word2Vec"/>; defaults are word2vec.c's (<c>-size 100 -window 5 -negative 5 -sample 1e-3 -iter 5</c>).</summary>
public sealed record Word2VecOptions
{
    /// <summary>Skip-gram (default) or CBOW.</summary>
    public Word2VecArchitecture Architecture { get; init; } = Word2VecArchitecture.SkipGram;

    /// <summary>The vector width D.</summary>
    public int Dimension { get; init; } = 100;

    /// <summary>The largest window radius; each position draws its radius uniformly from 1..Window, as word2vec.c does.</summary>
    public int Window { get; init; } = 5;

    /// <summary>Negative words per positive.</summary>
    public int Negative { get; init; } = 5;

    /// <summary>The subsampling threshold t (<see cref="Subsampling"/>); 0 keeps every word.</summary>
    public double Sample { get; init; } = 1e-3;

    /// <summary>Passes over the corpus.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>The starting learning rate; by default 0.025 for skip-gram and 0.05 for CBOW (word2vec.c).</summary>
    public float? LearningRate { get; init; }

    /// <summary>The seed of every random draw (initialization, subsampling, window radii, negatives).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The learning rate the options give for their architecture.</summary>
    public float StartingLearningRate => LearningRate ?? (Architecture == Word2VecArchitecture.Cbow ? 0.05f : 0.025f);

    internal void Validate()
    {
        Guard.Positive(Dimension);
        Guard.Positive(Window);
        Guard.Positive(Negative);
        Guard.Positive(Epochs);
        if (!(Sample >= 0) || double.IsInfinity(Sample))
        {
            throw new ArgumentOutOfRangeException(nameof(Sample), Sample, "Sample must be finite and non-negative.");
        }

        if (!(StartingLearningRate > 0) || float.IsInfinity(StartingLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), StartingLearningRate, "The learning rate must be finite and positive.");
        }
    }
}
