using System;
using System.Collections.Generic;
using ModelDsl.Embeddings;

namespace ModelDsl.Examples.WordEmbeddings;

/// <summary>One way of turning a corpus into word vectors, as the example runs it.</summary>
/// <param name="Name">The name printed in the tables.</param>
/// <param name="Train">Trains on the corpus and returns the vectors of its vocabulary.</param>
public sealed record EmbeddingMethod(string Name, Func<EmbeddingCorpus, WordVectors> Train);

/// <summary>The methods the example compares, with the settings it uses on each corpus.</summary>
public static class Models
{
    /// <summary>The methods, at vector width <paramref name="dimension"/> and <paramref name="epochs"/> passes.</summary>
    public static IReadOnlyList<EmbeddingMethod> All(int dimension, int epochs, int window, double sample) =>
    [
        new("word2vec skip-gram", corpus => Word2VecVectors(corpus, Word2VecArchitecture.SkipGram, dimension, epochs, window, sample)),
        new("word2vec CBOW", corpus => Word2VecVectors(corpus, Word2VecArchitecture.Cbow, dimension, epochs, window, sample)),
        new("GloVe", corpus =>
        {
            var glove = new GloVe(Cooccurrences.Count(corpus, window), corpus.Words,
                new GloVeOptions { Dimension = dimension, Epochs = 3 * epochs, Seed = 1 });
            glove.Train();
            return glove.ToWordVectors();
        }),
        new("fastText subwords", corpus =>
        {
            var fastText = new FastText(corpus, new FastTextOptions
            {
                Dimension = dimension, Epochs = epochs, Window = window, Sample = sample, Buckets = 100_000, Seed = 1,
            });
            fastText.Train();
            return fastText.ToWordVectors();
        }),
    ];

    private static WordVectors Word2VecVectors(EmbeddingCorpus corpus, Word2VecArchitecture architecture, int dimension, int epochs, int window, double sample)
    {
        var model = new Word2Vec(corpus, new Word2VecOptions
        {
            Architecture = architecture, Dimension = dimension, Epochs = epochs, Window = window, Sample = sample, Seed = 1,
        });
        model.Train();
        return model.ToWordVectors();
    }
}
