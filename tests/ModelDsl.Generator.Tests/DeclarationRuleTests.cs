using System.Linq;
using Microsoft.CodeAnalysis;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// Issue 14's declaration rules, each in every form it can be written: a named argument overrides a constructor
/// argument of the same name (as at run time), every name-taking argument names an earlier member, and every
/// enum-typed argument must hold a declared value. Each case asserts id, message, location and that nothing else
/// was reported (the pattern of <see cref="DiagnosticTests"/>).
/// </summary>
public sealed class DeclarationRuleTests
{
    private const string Input = "[Input(Length)] public partial TokenInput Text { get; }";
    private const string Embedding = "[Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }";
    private const string Pool = "[MeanPool] public partial Pool Pool { get; }";
    private const string Head = "[Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }";

    public static TheoryData<string, string, string> Cases => new()
    {
        // Named overrides positional: the attribute has 6 heads at run time, and 6 does not divide 64.
        {
            "MDSL1002",
            DiagnosticTests.Model(members: [Input, Embedding, "[MultiHeadAttention(4, [|Heads = 6|])] public partial AttentionBlock Attention { get; }", Pool, Head]),
            "Attention: Heads (6) must divide the model width D (64)"
        },
        // TiedTo, like From, Memory and SharedWith, names an earlier member.
        {
            "MDSL0008",
            DiagnosticTests.Model(members: [Input, Embedding, Pool, "[Dense(Vocab, [|TiedTo = nameof(Late)|])] public partial Dense Projection { get; }", "[Embedding(Vocab, D)] public partial TokenEmbedding Late { get; }", Head]),
            "Projection: TiedTo = \"Late\" names a layer declared after it; a layer can only read layers declared before it"
        },
        {
            "MDSL0009",
            DiagnosticTests.Model(members: [Input, Embedding, Pool, "[Dense(Classes, [|TiedTo = nameof(Head)|])] [CrossEntropyLoss] public partial Dense Head { get; }"]),
            "Head: TiedTo = \"Head\" names the layer itself, which would be a cycle"
        },
        // Size rules come before shape rules, at the argument that breaks them.
        {
            "MDSL1008",
            DiagnosticTests.Model(members: [Input, Embedding, "[TransformerEncoder(Heads = 4, [|Width = -64|])] public partial EncoderStack Encoder { get; }", Pool, Head]),
            "Encoder: Width (-64) must be positive (or left out: the input's width)"
        },
        {
            "MDSL1008",
            DiagnosticTests.Model(attribute: "[Model([|MaxBatch = int.MaxValue|])]", members: [Input, Embedding, Pool, Head]),
            "M: MaxBatch (2147483647) must be at most 268,435,456 (the per-tensor limit)"
        },
        {
            "MDSL1009",
            DiagnosticTests.Model(members: [Input, Embedding, "[[|RecurrentEncoder(20000, Layers = 1)|]] public partial RecurrentStack Rnn { get; }", Pool, Head]),
            "Rnn: weight_hh_l0 [60000, 20000] has 1,200,000,000 elements, more than the limit of 268,435,456"
        },
        // One rule for every enum: a declared value, or for [Flags] a combination of declared flags.
        {
            "MDSL1008",
            DiagnosticTests.Model(members: [Input, Embedding, "[TransformerEncoder(Heads = 4, [|Activation = (Activation)99|])] public partial EncoderStack Encoder { get; }", Pool, Head]),
            "Encoder: Activation (99) must be one of the Activation values (None, Relu, Gelu, GeluTanh, Tanh, Sigmoid, LeakyRelu, RRelu)"
        },
        {
            "MDSL1008",
            DiagnosticTests.Model(members: [Input, Embedding, "[TransformerEncoder(Heads = 4, [|Mask = (Masks)16|])] public partial EncoderStack Encoder { get; }", Pool, Head]),
            "Encoder: Mask (16) must be a combination of the Masks flags (None, Causal, KeyPadding, LocalWindow, Graph)"
        },
        {
            "MDSL1008",
            DiagnosticTests.Model(members: [Input, Embedding, "[RecurrentEncoder(32, [|Cell = (RecurrentCell)7|])] public partial RecurrentStack Rnn { get; }", Pool, Head]),
            "Rnn: Cell (7) must be one of the RecurrentCell values (Rnn, Gru, Lstm)"
        },
        {
            "MDSL1008",
            DiagnosticTests.Model(members: [Input, Embedding, "[Dense(D, [|Activation = (Activation)(-1)|])] public partial Dense Hidden { get; }", Pool, Head]),
            "Hidden: Activation (-1) must be one of the Activation values (None, Relu, Gelu, GeluTanh, Tanh, Sigmoid, LeakyRelu, RRelu)"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reports_the_rule_at_the_argument_and_nothing_else(string id, string markedSource, string message) =>
        new DiagnosticTests().Reports_exactly_one_diagnostic_at_the_offending_argument(id, markedSource, message);

    [Theory]
    [InlineData("Batch")]
    [InlineData("Trainer")]
    [InlineData("Dims")]
    public void A_model_named_like_a_generated_member_gets_MDSL0011_and_no_other_error(string name)
    {
        string source = DiagnosticTests.Model(header: "public partial class " + name, members: [Input, Embedding, Pool, Head]);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics);
        Assert.Equal("MDSL0011", diagnostic.Id);
        Assert.Equal(name + ": the name is reserved for a member the generator adds to every model", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(name, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Empty(outcome.CompilationErrors()); // the layer properties are implemented (as stubs), nothing else is emitted
    }

    [Fact]
    public void A_model_without_a_name_gets_no_generated_file()
    {
        string source = "using ModelDsl;\n[Model(MaxBatch = 8)]\npublic partial class\n{\n    [Input(16)] public partial TokenInput Text { get; }\n}\n";
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.Sources);
    }

    [Fact]
    public void A_valid_flags_combination_and_a_named_override_that_fits_report_nothing()
    {
        string source = DiagnosticTests.Model(members:
        [
            Input, Embedding,
            "[MultiHeadAttention(4, Heads = 8, Mask = Masks.Causal | Masks.KeyPadding)] public partial AttentionBlock Attention { get; }",
            Pool, Head,
        ]);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Contains("8 heads", string.Join("\n", outcome.Sources.Select(s => s.SourceText.ToString())), System.StringComparison.Ordinal);
        Assert.Empty(outcome.GeneratedFileProblems());
    }
}
