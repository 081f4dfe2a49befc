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
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string part = args.Length > 0 ? args[0] : "all";
if (part is not ("all" or "synthetic" or "wordnet"))
{
    Console.Error.WriteLine($"Unknown part '{part}': expected synthetic, wordnet or nothing (both).");
    return 2;
}

var total = Stopwatch.StartNew();
if (part is "all" or "synthetic")
{
    Synthetic();
}

if (part is "all" or "wordnet")
{
    WordNet();
}

Console.WriteLine($"total {total.Elapsed.TotalSeconds:F1} s");
return 0;

static void Synthetic()
{
    var generated = SynonymCorpus.Generate(sentences: 30_000, seed: 21);
    var corpus = EmbeddingCorpus.Build(generated.Sentences, minCount: 1);
    var synonyms = generated.Synonyms();
    var questions = generated.AnalogyQuestions(500, seed: 22);
    int k = SynonymCorpus.SynonymsPerConcept - 1;
    Console.WriteLine($"== generated corpus: {corpus.SentenceCount} sentences, {corpus.TokenCount} tokens, {corpus.Words.Count} words, "
        + $"{SynonymCorpus.Concepts} synonym groups of {SynonymCorpus.SynonymsPerConcept}");
    Console.WriteLine($"{"method",-22} {"P@" + k,8} {"analogy",8} {"seconds",8}");
    Print("random vectors", Evaluation.RandomVectors(corpus.Words, 50, 7), 0);
    foreach (var method in Models.All(dimension: 50, epochs: 5, window: 3, sample: 0))
    {
        var clock = Stopwatch.StartNew();
        var vectors = method.Train(corpus);
        Print(method.Name, vectors, clock.Elapsed.TotalSeconds);
        if (method.Name.StartsWith("word2vec skip", StringComparison.Ordinal))
        {
            foreach (string word in new[] { generated.Groups[0][0], generated.Groups[1][0], SynonymCorpus.Plural(generated.Groups[2][0]) })
            {
                Console.WriteLine($"    {word}: {Neighbours(vectors, word, 4)}   (synonyms: {string.Join(' ', Group(generated, word))})");
            }
        }
    }

    void Print(string name, WordVectors vectors, double seconds)
    {
        var score = Evaluation.PrecisionAtK(vectors, synonyms, k);
        double analogy = Evaluation.AnalogyAccuracy(vectors, questions);
        Console.WriteLine($"{name,-22} {score.Precision,8:F3} {analogy,8:F3} {seconds,8:F1}");
    }
}

static void WordNet()
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
    Console.WriteLine($"{"method",-22} {"P@" + k,8} {"seconds",8}");
    Console.WriteLine($"{"random vectors",-22} {chance.Precision,8:F4} {0,8:F1}");
    foreach (var method in Models.All(dimension: 100, epochs: 5, window: 5, sample: 1e-3))
    {
        clock.Restart();
        var vectors = method.Train(corpus);
        double seconds = clock.Elapsed.TotalSeconds;
        var score = Evaluation.PrecisionAtK(vectors, wordnet.Synonyms, k);
        Console.WriteLine($"{method.Name,-22} {score.Precision,8:F4} {seconds,8:F1}");
        foreach (string word in new[] { "car", "happy", "quickly", "river" })
        {
            if (vectors.TryGetIndex(word, out _))
            {
                Console.WriteLine($"    {word}: {Neighbours(vectors, word, 6)}");
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
