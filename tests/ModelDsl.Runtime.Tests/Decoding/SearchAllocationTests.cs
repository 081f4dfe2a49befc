using ModelDsl.Decoding;
using ModelDsl.Tests.Support;

namespace ModelDsl.Tests.Decoding;

public sealed class SearchAllocationTests
{
    private const int Vocabulary = 40, MaxSteps = 20, Batch = 3, Width = 4;

    // The struct decoder shows the searches do not box it; the class decoder, whose state is history, makes beam
    // search reorder on every step. Both models rarely end, so runs take many steps.
    private static MarkovDecoder Markov() => new(new MarkovTable(Vocabulary, 5, 1, endBias: -2f), Batch * Width, MaxSteps);

    private static PrefixDecoder History() => new(new HashModel(Vocabulary, 5, 1, endBias: -2f), Batch * Width, MaxSteps);

    [Fact]
    public void GreedyRun_AllocatesNothing()
    {
        var search = new GreedySearch(Batch, MaxSteps, Vocabulary);
        MarkovDecoder markov = Markov();
        Assert.Equal(0, Allocations.Measure(() => search.Run(markov, Batch, 0, 1, MaxSteps)));
        PrefixDecoder history = History();
        Assert.Equal(0, Allocations.Measure(() =>
        {
            history.Prepare(Batch, 1);
            search.Run(history, Batch, 0, 1, MaxSteps);
        }));
    }

    [Fact]
    public void BeamRun_AllocatesNothing()
    {
        var search = new BeamSearch(Batch, Width, MaxSteps, Vocabulary);
        MarkovDecoder markov = Markov();
        Assert.Equal(0, Allocations.Measure(() => search.Run(markov, Batch, Width, 0, 1, MaxSteps, 0.6f)));
        PrefixDecoder history = History();
        Assert.Equal(0, Allocations.Measure(() =>
        {
            history.Prepare(Batch, Width);
            search.Run(history, Batch, Width, 0, 1, MaxSteps);
        }));
        Assert.True(history.ReorderCalls > 0);
    }

    [Fact]
    public void SamplerRun_AllocatesNothing()
    {
        var sampler = new Sampler(Batch, MaxSteps, Vocabulary);
        MarkovDecoder markov = Markov();
        ulong seed = 0;
        Assert.Equal(0, Allocations.Measure(() => sampler.Run(markov, Batch, 0, 1, MaxSteps, 0.8f, 0, ++seed)));
        PrefixDecoder history = History();
        Assert.Equal(0, Allocations.Measure(() =>
        {
            history.Prepare(Batch, 1);
            sampler.Run(history, Batch, 0, 1, MaxSteps, 1.2f, 7, ++seed);
        }));

        // Nucleus sampling sorts the allowed tokens in the sampler's own buffer with a struct comparer.
        Assert.Equal(0, Allocations.Measure(() => sampler.Run(markov, Batch, 0, 1, MaxSteps, 0.9f, 0, 0.8f, ++seed)));
    }
}
