using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using ModelDsl.Embeddings;
using ModelDsl.Examples.WordEmbeddings;

// Word embeddings on two corpora (README: examples/Word2Vec):
//   dotnet run -c Release --project examples/Word2Vec                 both parts
//   dotnet run -c Release --project examples/Word2Vec -- synthetic    the generated corpus only
//   dotnet run -c Release --project examples/Word2Vec -- wordnet      WordNet's glosses only
//   ... -- --threads 1                                                 train one method at a time (default 2)
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string part = "all";
int threads = 2;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--threads" && i + 1 < args.Length && int.TryParse(args[i + 1], out threads) && threads > 0)
    {
        i++;
    }
    else if (args[i] is "synthetic" or "wordnet")
    {
        part = args[i];
    }
    else
    {
        Console.Error.WriteLine($"Unknown argument '{args[i]}': expected synthetic, wordnet (default both) and --threads N (N > 0, default 2).");
        return 2;
    }
}

var total = Stopwatch.StartNew();
if (part is "all" or "synthetic")
{
    Synthetic(threads);
}

if (part is "all" or "wordnet")
{
    WordNet(threads);
}

Console.WriteLine($"total {total.Elapsed.TotalSeconds:F1} s");
return 0;

static void Synthetic(int threads)
{
    var generated = SynonymCorpus.Generate(sentences: 30_000, seed: 21);
    var corpus = EmbeddingCorpus.Build(generated.Sentences, minCount: 1);
    var synonyms = generated.Synonyms();
    var questions = generated.AnalogyQuestions(500, seed: 22);
    int k = SynonymCorpus.SynonymsPerConcept - 1;
    Console.WriteLine($"== generated corpus: {corpus.SentenceCount} sentences, {corpus.TokenCount} tokens, {corpus.Words.Count} words, "
        + $"{SynonymCorpus.Concepts} synonym groups of {SynonymCorpus.SynonymsPerConcept}");
    var methods = Models.All(dimension: 50, epochs: 5, gloveEpochs: 15, window: 3, sample: 0, cbow: true);
    var results = Models.TrainAll(methods, corpus, threads,
        vectors => (Evaluation.PrecisionAtK(vectors, synonyms, k), Evaluation.AnalogyAccuracy(vectors, questions)));
    var random = Evaluation.RandomVectors(corpus.Words, 50, 7);
    Console.WriteLine($"{"method",-22} {"P@" + k,8} {"analogy",8} {"seconds",8}");
    Console.WriteLine($"{"random vectors",-22} {Evaluation.PrecisionAtK(random, synonyms, k).Precision,8:F3} "
        + $"{Evaluation.AnalogyAccuracy(random, questions),8:F3} {0,8:F1}");
    foreach (var r in results)
    {
        Console.WriteLine($"{r.Name,-22} {r.Score.Item1.Precision,8:F3} {r.Score.Item2,8:F3} {r.Seconds,8:F1}");
    }

    Console.WriteLine("nearest neighbours (word2vec skip-gram):");
    foreach (string word in new[] { generated.Groups[0][0], generated.Groups[1][0], SynonymCorpus.Plural(generated.Groups[2][0]) })
    {
        Console.WriteLine($"    {word}: {Neighbours(results[0].Vectors, word, 4)}   (synonyms: {string.Join(' ', Group(generated, word))})");
    }
}

static void WordNet(int threads)
{
    var clock = Stopwatch.StartNew();
    var wordnet = WordNetGlosses.Load(WordNetGlosses.DefaultPath);
    var corpus = EmbeddingCorpus.Build(wordnet.Sentences, minCount: 5);
    const int k = 10;
    Console.WriteLine();
    Console.WriteLine($"== WordNet 3.0 glosses: {wordnet.SynsetCount} synsets, {corpus.TokenCount} tokens, {corpus.Words.Count} words "
        + $"seen at least 5 times (read in {clock.Elapsed.TotalSeconds:F1} s)");
    var random = Evaluation.RandomVectors(corpus.Words, 100, 7);
    var chance = Evaluation.PrecisionAtK(random, wordnet.Synonyms, k);
    Console.WriteLine($"{chance.Queries} query words have a WordNet synonym in the vocabulary; a perfect P@{k} would be {chance.Ceiling:F3}");
    var methods = Models.All(dimension: 100, epochs: 5, gloveEpochs: 15, window: 5, sample: 1e-3, cbow: false);
    var results = Models.TrainAll(methods, corpus, threads, vectors => Evaluation.PrecisionAtK(vectors, wordnet.Synonyms, k));
    Console.WriteLine($"{"method",-22} {"P@" + k,8} {"seconds",8}");
    Console.WriteLine($"{"random vectors",-22} {chance.Precision,8:F4} {0,8:F1}");
    foreach (var r in results)
    {
        Console.WriteLine($"{r.Name,-22} {r.Score.Precision,8:F4} {r.Seconds,8:F1}");
    }

    foreach (var r in results)
    {
        Console.WriteLine($"nearest neighbours ({r.Name}):");
        foreach (string word in new[] { "car", "happy", "quickly", "river" })
        {
            if (r.Vectors.TryGetIndex(word, out _))
            {
                Console.WriteLine($"    {word}: {Neighbours(r.Vectors, word, 6)}");
            }
        }
    }
}

static string Neighbours(WordVectors vectors, string word, int k)
{
    var parts = new List<string>();
    foreach (var n in vectors.Nearest(word, k))
    {
        parts.Add($"{n.Word} {n.Similarity:F2}");
    }

    return string.Join(", ", parts);
}

static IEnumerable<string> Group(SynonymCorpus generated, string word)
{
    foreach (var group in generated.Groups)
    {
        foreach (string name in group)
        {
            if (name == word || SynonymCorpus.Plural(name) == word)
            {
                foreach (string other in group)
                {
                    if (other != name)
                    {
                        yield return SynonymCorpus.Plural(name) == word ? SynonymCorpus.Plural(other) : other;
                    }
                }

                yield break;
            }
        }
    }
}
