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
    /// <summary>
    /// The methods, at vector width <paramref name="dimension"/>, <paramref name="epochs"/> passes over the corpus
    /// (<paramref name="gloveEpochs"/> over GloVe's co-occurrence entries), window radius <paramref name="window"/> and
    /// subsampling threshold <paramref name="sample"/>; CBOW only when <paramref name="cbow"/>.
    /// </summary>
    public static IReadOnlyList<EmbeddingMethod> All(int dimension, int epochs, int gloveEpochs, int window, double sample, bool cbow)
    {
        var methods = new List<EmbeddingMethod>
        {
            new("word2vec skip-gram", corpus => Word2VecVectors(corpus, Word2VecArchitecture.SkipGram, dimension, epochs, window, sample)),
        };
        if (cbow)
        {
            methods.Add(new("word2vec CBOW", corpus => Word2VecVectors(corpus, Word2VecArchitecture.Cbow, dimension, epochs, window, sample)));
        }

        methods.Add(new("GloVe", corpus =>
        {
            var glove = new GloVe(Cooccurrences.Count(corpus, window), corpus.Words,
                new GloVeOptions { Dimension = dimension, Epochs = gloveEpochs, Seed = 1 });
            glove.Train();
            return glove.ToWordVectors();
        }));
        methods.Add(new("fastText subwords", corpus =>
        {
            var fastText = new FastText(corpus, new FastTextOptions
            {
                Dimension = dimension, Epochs = epochs, Window = window, Sample = sample, Buckets = 100_000, Seed = 1,
            });
            fastText.Train();
            return fastText.ToWordVectors();
        }));
        return methods;
    }

    /// <summary>
    /// Trains every method on <paramref name="corpus"/> and scores it with <paramref name="score"/>, at most
    /// <paramref name="threads"/> methods at a time (each trains single-threaded, so the vectors do not depend on it);
    /// returns the results in the order of <paramref name="methods"/>.
    /// </summary>
    public static MethodResult<T>[] TrainAll<T>(IReadOnlyList<EmbeddingMethod> methods, EmbeddingCorpus corpus, int threads,
        Func<WordVectors, T> score)
    {
        var results = new MethodResult<T>[methods.Count];
        System.Threading.Tasks.Parallel.For(0, methods.Count, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var vectors = methods[i].Train(corpus);
            double seconds = clock.Elapsed.TotalSeconds;
            results[i] = new MethodResult<T>(methods[i].Name, vectors, seconds, score(vectors));
        });
        return results;
    }

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

/// <summary>What <see cref="Models.TrainAll"/> gives for one method.</summary>
/// <param name="Name">The method.</param>
/// <param name="Vectors">Its vectors.</param>
/// <param name="Seconds">Wall time of its training.</param>
/// <param name="Score">Its score.</param>
public sealed record MethodResult<T>(string Name, WordVectors Vectors, double Seconds, T Score);
