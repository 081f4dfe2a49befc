using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using ModelDsl.Generator.Common;
using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Planning;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// One case per diagnostic: the declaration marks the expected span with <c>[| |]</c>; the test asserts the id, the
/// exact message, the exact location, that no other generator diagnostic appeared and that generated files compile cleanly.
/// </summary>
public sealed class DiagnosticTests
{
    private const string Input = "[Input(Length)] public partial TokenInput Text { get; }";
    private const string Embedding = "[Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }";
    private const string Encoder = "[TransformerEncoder(Heads = 4)] public partial EncoderStack Encoder { get; }";
    private const string Pool = "[MeanPool] public partial Pool Pool { get; }";
    private const string Head = "[Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }";

    public static TheoryData<string, string, string> Cases => new()
    {
        {
            "MDSL0001",
            Model(header: "public class [|M|]", members: [Input, Embedding, Pool, Head]),
            "Model class 'M' must be declared partial so the generator can add its members"
        },
        {
            "MDSL0002",
            "using ModelDsl;\npublic partial class Outer\n{\n    [Model(MaxBatch = 8)]\n    public partial class [|M|]\n    {\n        [Input(Features = 4)] public partial FeatureInput X { get; }\n    }\n}\n",
            "Model class 'M' must be a top-level, non-generic, non-static class: it is nested in 'Outer'"
        },
        {
            "MDSL0002",
            Model(header: "public partial class [|M|]<T>", members: [Input, Embedding, Pool, Head]),
            "Model class 'M' must be a top-level, non-generic, non-static class: it is generic"
        },
        {
            "MDSL0003",
            Model(members: [Input, Embedding, Pool, "[Dense(Classes)] [CrossEntropyLoss] public Dense [|Head|] => null!;"]),
            "Head: a layer must be declared as a get-only partial property: add 'partial' and remove any body"
        },
        {
            "MDSL0003",
            Model(members: [Input, Embedding, Pool, "[Dense(Classes)] [CrossEntropyLoss] public Dense? [|Head|];"]),
            "Head: a layer must be declared as a get-only partial property, not a field"
        },
        {
            "MDSL0004",
            Model(members: [Input, Embedding, Pool, "[Dense(Classes)] [CrossEntropyLoss] public partial TokenEmbedding [|Head|] { get; }"]),
            "Head: [Dense] needs a property of type Dense, not TokenEmbedding"
        },
        {
            "MDSL0005",
            Model(attribute: "[[|Model|]]", members: [Input, Embedding, Pool, Head]),
            "Model 'M' must declare its maximum batch size, e.g. [Model(MaxBatch = 32)]"
        },
        {
            "MDSL0006",
            Model(header: "public partial class [|M|]", members: []),
            "M: the model declares no [Input]; add one, e.g. [Input(Length)] public partial TokenInput Text { get; }"
        },
        {
            "MDSL0006",
            Model(members: ["[[|Dense(Classes)|]] [CrossEntropyLoss] public partial Dense Head { get; }"]),
            "Head: nothing is declared before it to read from; declare an [Input] first or set From"
        },
        {
            "MDSL0007",
            Model(members: [Input, "[Embedding(Vocab, D, [|From = \"Nope\"|])] public partial TokenEmbedding Tokens { get; }", Pool, Head]),
            "Tokens: From = \"Nope\" names no layer of M"
        },
        {
            "MDSL0008",
            Model(members: [Input, "[Embedding(Vocab, D, [|From = nameof(Head)|])] public partial TokenEmbedding Tokens { get; }", Pool, Head]),
            "Tokens: From = \"Head\" names a layer declared after it; a layer can only read layers declared before it"
        },
        {
            "MDSL0009",
            Model(members: [Input, "[Embedding(Vocab, D, [|From = nameof(Tokens)|])] public partial TokenEmbedding Tokens { get; }", Pool, Head]),
            "Tokens: From = \"Tokens\" names the layer itself, which would be a cycle"
        },
        {
            "MDSL0010",
            Model(members: [Input, Embedding, Pool, "[Dropout(0.1f)] public partial DropoutLayer [|POOL|] { get; }", Head]),
            "POOL: its parameter prefix 'pool' is already used by layer 'Pool'"
        },
        {
            "MDSL0011",
            Model(members: [Input, Embedding, Pool, Head, "public static string [|Summary|]() => \"mine\";"]),
            "Summary: the name is reserved for a member the generator adds to M"
        },
        {
            "MDSL0011",
            Model(members: ["[Input(Length)] public partial TokenInput [|Labels|] { get; }", Embedding, Pool, Head]),
            "Labels: the name is reserved for a member the generator adds to M.Batch"
        },
        {
            "MDSL0012",
            Model(members: [Input, Embedding, Pool, "[Dense(Classes)] [[|LayerNorm|]] [CrossEntropyLoss] public partial Dense Head { get; }"]),
            "Head: a member can carry only one layer attribute, found [Dense] and [LayerNorm]"
        },
        {
            "MDSL0013",
            Model(header: "public partial class [|M|]", members: [Input, Embedding, Pool, "[Dense(Classes)] public partial Dense Head { get; }"]),
            "Model 'M' declares no loss; add [CrossEntropyLoss] or [MseLoss] to its last layer 'Head' to train it"
        },
        {
            "MDSL0015",
            Model(members: ["[[|Input|]] public partial TokenInput Text { get; }", Embedding, Pool, Head]),
            "Text: [Input] needs a maximum length (token ids, [Input(Length)]) or Features (a dense vector, [Input(Features = N)])"
        },
        {
            "MDSL0018",
            Model(members: [Input, Embedding, "[LayerNorm] public partial Norm [|Unused|] { get; }", "[MeanPool(From = nameof(Tokens))] public partial Pool Pool { get; }", Head]),
            "'Unused' is never read: no later member takes it as its input (From = nameof(Unused)) or as its Memory; connect it or remove it"
        },
        {
            "MDSL0019",
            Model(members:
            [
                "[Input(Length)] public partial TokenInput Source { get; }",
                "[Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }",
                "[TransformerEncoder(Layers = 1, Heads = 4, FeedForward = 32)] public partial EncoderStack Encoder { get; }",
                "[Input(Length)] public partial TokenInput Target { get; }",
                "[[|Embedding(Vocab, D)|]] public partial TokenEmbedding TargetEmbedding { get; }",
                "[TransformerDecoder(Layers = 1, Heads = 4, FeedForward = 32, Memory = nameof(Encoder))] public partial DecoderStack Decoder { get; }",
                "[Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }",
            ]),
            "TargetEmbedding: reads 'Target' only because it is the member before it, while the model has several token inputs (Source, Target); write From = nameof(Target) if that is meant"
        },
        {
            "MDSL0021",
            Model(header: "public partial class [|M|]", members: [Input, Embedding, Encoder, "[Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }"]),
            "Model 'M' predicts the tokens of its input per position but gets no StepDecoder (no CreateDecoder): 'Encoder' ([TransformerEncoder]) cannot run one position at a time (it sees later positions: not causal, or bidirectional)"
        },
        {
            "MDSL0020",
            Model(members:
            [
                Input,
                Embedding,
                "[RecurrentEncoder(16, Bidirectional = true)] public partial RecurrentStack Encoder { get; }",
                "[[|LastTokenPool|]] public partial Pool Pool { get; }",
                Head,
            ]),
            "Pool: [LastTokenPool] reads the bidirectional encoder 'Encoder', whose reverse half at the last position has seen only the last token; use [FinalStatePool] for the final state of both directions (torch.cat([h_n[-2], h_n[-1]], -1))"
        },
        {
            "MDSL1001",
            Model(members: [Input, Embedding, "[TransformerEncoder(Heads = 4, [|Width = 128|])] public partial EncoderStack Encoder { get; }", Pool, Head]),
            "Encoder: expects input [B, T, 128] but 'Tokens' produces [B, T, D (64)]"
        },
        {
            "MDSL1002",
            Model(members: [Input, Embedding, "[TransformerEncoder([|Heads = 5|])] public partial EncoderStack Encoder { get; }", Pool, Head]),
            "Encoder: Heads (5) must divide the model width D (64)"
        },
        {
            "MDSL1003",
            Model(members:
            [
                "public const int SourceLength = 12, TargetLength = 10;",
                "[Input(SourceLength)] public partial TokenInput Source { get; }",
                "[Input(TargetLength)] public partial TokenInput Target { get; }",
                "[Embedding(Vocab, 32, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }",
                "[Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }",
                "[TransformerDecoder(Heads = 4, [|Memory = nameof(SourceEmbedding)|])] public partial DecoderStack Decoder { get; }",
                "[Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }",
            ]),
            "Decoder: cross-attention memory 'SourceEmbedding' produces [B, SourceLength, 32], but the queries from 'TargetEmbedding' [B, TargetLength, D (64)] have width D (64)"
        },
        {
            "MDSL1003",
            Model(members:
            [
                "public const int SourceLength = 12, TargetLength = 10;",
                "[Input(SourceLength)] public partial TokenInput Source { get; }",
                "[Input(TargetLength)] public partial TokenInput Target { get; }",
                "[Embedding(Vocab, 32, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }",
                "[RecurrentEncoder(16, Bidirectional = true)] public partial RecurrentStack Encoder { get; }",
                "[Embedding(Vocab, 32, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }",
                "[RecurrentDecoder(24, Attention = RecurrentAttention.LuongDot, [|Memory = nameof(Encoder)|])] public partial RecurrentDecoderLayer Decoder { get; }",
                "[Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }",
            ]),
            "Decoder: cross-attention memory 'Encoder' produces [B, SourceLength, 32], but Luong dot attention needs encoder states as wide as the decoder state (Hidden 24)"
        },
        {
            "MDSL1003",
            Model(members:
            [
                "public const int SourceLength = 12, TargetLength = 10;",
                "[Input(SourceLength)] public partial TokenInput Source { get; }",
                "[Input(TargetLength)] public partial TokenInput Target { get; }",
                "[Embedding(Vocab, 32, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }",
                "[TransformerEncoder(Heads = 4)] public partial EncoderStack Encoder { get; }",
                "[Embedding(Vocab, 32, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }",
                "[RecurrentDecoder(32, [|Memory = nameof(Encoder)|])] public partial RecurrentDecoderLayer Decoder { get; }",
                "[Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }",
            ]),
            "Decoder: cross-attention memory 'Encoder' produces [B, SourceLength, 32], but a [RecurrentDecoder] reads a [RecurrentEncoder] (its final state starts the decoder), not [TransformerEncoder]"
        },
        {
            "MDSL1003",
            Model(members:
            [
                "public const int SourceLength = 12, TargetLength = 10;",
                "[Input(SourceLength)] public partial TokenInput Source { get; }",
                "[Input(TargetLength)] public partial TokenInput Target { get; }",
                "[Embedding(Vocab, 32, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }",
                "[RecurrentEncoder(32)] public partial RecurrentStack Encoder { get; }",
                "[Embedding(Vocab, 32, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }",
                "[[|RecurrentDecoder(32)|]] public partial RecurrentDecoderLayer Decoder { get; }",
                "[Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }",
            ]),
            "Decoder: cross-attention memory '(none)' produces nothing, but a [RecurrentDecoder] needs Memory = nameof(a [RecurrentEncoder]) for its initial state and attention"
        },
        {
            "MDSL1007",
            Model(members:
            [
                "public const int SourceLength = 12, TargetLength = 10;",
                "[Input(SourceLength)] public partial TokenInput Source { get; }",
                "[Input(TargetLength)] public partial TokenInput Target { get; }",
                "[Embedding(Vocab, 32, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }",
                "[RecurrentEncoder(32)] public partial RecurrentStack Encoder { get; }",
                "[Embedding(Vocab, 32, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }",
                "[RecurrentDecoder(32, Memory = nameof(Encoder))] public partial RecurrentDecoderLayer Decoder { get; }",
                "[Dense(40)] [[|CrossEntropyLoss|]] public partial Dense Logits { get; }",
            ]),
            "Logits: the decoder feeds its predictions back as 'Target' tokens, embedded by 'TargetEmbedding' with vocabulary Vocab (100), but the head has 40 classes"
        },
        {
            "MDSL1004",
            Model(members: [Input, Embedding, Pool, "[Dense(Classes, [|TiedTo = nameof(Tokens)|])] [CrossEntropyLoss] public partial Dense Head { get; }"]),
            "Head: cannot tie to 'Tokens': its weight is [Vocab (100), D (64)] but this layer's weight [Units, input width] is [Classes (3), D (64)]"
        },
        {
            "MDSL1004",
            Model(members:
            [
                "public const int SourceLength = 12, TargetLength = 10;",
                "[Input(SourceLength)] public partial TokenInput Source { get; }",
                "[Input(TargetLength)] public partial TokenInput Target { get; }",
                "[Embedding(Vocab, D, From = nameof(Source))] public partial TokenEmbedding SourceEmbedding { get; }",
                "[TransformerEncoder(Heads = 4)] public partial EncoderStack Encoder { get; }",
                "[Embedding(50, D, From = nameof(Target), [|SharedWith = nameof(SourceEmbedding)|])] public partial TokenEmbedding TargetEmbedding { get; }",
                "[TransformerDecoder(Heads = 4, Memory = nameof(Encoder))] public partial DecoderStack Decoder { get; }",
                "[Dense(50)] [CrossEntropyLoss] public partial Dense Logits { get; }",
            ]),
            "TargetEmbedding: cannot tie to 'SourceEmbedding': its weight is [100, 64] but this layer's is [50, 64]"
        },
        {
            "MDSL1005",
            Model(members: [Input, Embedding, "[TransformerEncoder(Heads = 4, Mask = Masks.LocalWindow, [|WindowRadius = Length|])] public partial EncoderStack Encoder { get; }", Pool, Head]),
            "Encoder: WindowRadius (16) must be between 1 and 15 (the maximum length T (16) minus one)"
        },
        {
            "MDSL1006",
            Model(members: [Input, Embedding, Pool, "[[|MeanPool|]] public partial Pool Pool2 { get; }", Head]),
            "Pool2: [MeanPool] pools over positions but 'Pool' produces [B, D (64)], which has no sequence dimension"
        },
        {
            "MDSL1007",
            Model(members: [Input, Embedding, Pool, "[Dense(1)] [[|CrossEntropyLoss|]] public partial Dense Head { get; }"]),
            "Head: [CrossEntropyLoss] needs a [Dense] head with at least 2 units (the classes), but 'Head' has Units 1"
        },
        {
            "MDSL1007",
            Model(members: [Input, Embedding, Pool, "[LayerNorm] [[|CrossEntropyLoss|]] public partial Norm Head { get; }"]),
            "Head: [CrossEntropyLoss] needs a [Dense] head with at least 2 units (the classes), but 'Head' is [LayerNorm] producing [B, D (64)]"
        },
        {
            "MDSL1008",
            Model(members: [Input, Embedding, Pool, "[Dense([|0|])] [CrossEntropyLoss] public partial Dense Head { get; }"]),
            "Head: Units (0) must be at least 1"
        },
        {
            "MDSL1008",
            Model(members: [Input, Embedding, Pool, "[Dense(Classes)] [CrossEntropyLoss([|LabelSmoothing = 1.5f|])] public partial Dense Head { get; }"]),
            "Head: LabelSmoothing (1.5) must be in [0, 1)"
        },
        {
            "MDSL1012",
            Model(members: [Input, Embedding, Pool, "[Add(nameof(Tokens), [|nameof(Pool)|])] public partial MergeLayer Sum { get; }", "[MeanPool] public partial Pool Pool2 { get; }", Head]),
            "Sum: [Add] cannot merge 'Tokens' [B, T, D (64)] with 'Pool' [B, D (64)]: both need the same rank (a sequence merges only with a sequence)"
        },
        {
            "MDSL1012",
            Model(members: [Input, Embedding, Pool, "[Dense(8)] public partial Dense Small { get; }", "[Add(nameof(Pool), [|nameof(Small)|])] public partial MergeLayer Sum { get; }", Head]),
            "Sum: [Add] cannot merge 'Pool' [B, D (64)] with 'Small' [B, 8]: [Add] needs one width, but they are D (64) and 8"
        },
        {
            "MDSL1008",
            Model(members: [Input, Embedding, Pool, "[Dense(Classes)] [KLDivergenceLoss([|Temperature = 0f|])] public partial Dense Head { get; }"]),
            "Head: Temperature (0) must be a finite number > 0"
        },
        {
            "MDSL1007",
            Model(members: [Input, Embedding, Pool, "[Dense(1)] [[|SoftCrossEntropyLoss|]] public partial Dense Head { get; }"]),
            "Head: [SoftCrossEntropyLoss] compares distributions over at least 2 classes, but 'Head' has 1 per row"
        },
        {
            "MDSL1009",
            Model(members: [Input, "[[|Embedding(1 << 20, 1024)|]] public partial TokenEmbedding Tokens { get; }", Pool, Head]),
            "Tokens: weight [1048576, 1024] has 1,073,741,824 elements, more than the limit of 268,435,456"
        },
        {
            "MDSL1010",
            Model(members: [Input, "[[|TransformerEncoder(Heads = 4)|]] public partial EncoderStack Encoder { get; }", Pool, Head]),
            "Encoder: [TransformerEncoder] needs a float sequence [B, T, D] but 'Text' produces token ids [B, T]"
        },
        {
            "MDSL1011",
            Model(members: [Input, Embedding, "[LearnedPositions([|8|])] public partial Positions Positions { get; }", Pool, Head]),
            "Positions: MaxLength (8) is shorter than the sequence of 'Tokens' [B, T, D (64)] with T up to 16"
        },
        {
            "MDSL1013",
            Model(members: [Input, Embedding, Pool, "[Dense(Classes)] [CrossEntropyLoss(Name = \"Main\")] public partial Dense Head { get; }",
                "[Dense(2, From = nameof(Pool))] [MseLoss([|Name = \"Main\"|])] public partial Dense Other { get; }"]),
            "Other: another loss is already named 'Main'; give one of them Name = \"...\""
        },
        {
            "MDSL1013",
            Model(members: [Input, Embedding, Pool, "[Dense(Classes)] [CrossEntropyLoss([|Name = \"2nd\"|])] public partial Dense Head { get; }"]),
            "Head: '2nd' is not a C# identifier the Batch can use (letters, digits, '_', not starting with '__')"
        },
        {
            "MDSL1014",
            Model(members: [Input, Embedding, Pool, Head, "[[|Dense(2)|]] public partial Dense Extra { get; }"]),
            "Extra: declared after the last loss head 'Head', its output reaches no loss and would never train; put a loss on it or remove it"
        },
        {
            "MDSL1015",
            Model(members: [Input, Embedding, Pool, "[Dense(Classes)] [CrossEntropyLoss(Primary = true)] public partial Dense Head { get; }",
                "[Dense(Classes, From = nameof(Pool))] [CrossEntropyLoss([|Primary = true|])] public partial Dense Other { get; }"]),
            "Other: Primary = true, but loss 'Head' is already primary; one loss drives Logits, Predict and accuracy"
        },
        {
            "MDSL1008",
            Model(members: [Input, Embedding, Pool, "[Dense(Classes)] [CrossEntropyLoss([|Weight = 0f|])] public partial Dense Head { get; }"]),
            "Head: Weight (0) must be a finite number > 0"
        },
        {
            "MDSL1020",
            Model(members: ["[Input(Channels = 1, Height = 8, Width = 8)] public partial ImageInput Image { get; }", "[Conv2d(4, [|9|])] public partial Conv2dLayer Conv { get; }", "[Flatten] public partial FlattenLayer Flat { get; }", Head]),
            "Conv: the output height would be (8 + 2·Padding (0) - (Kernel (9) - 1) - 1) / Stride (1) + 1 = less than 1; the window must fit the padded input"
        },
        {
            "MDSL2001",
            Model(members: [Input, Embedding, "[MultiHeadAttention(4, Memory = nameof(Tokens), [|Mask = Masks.Causal|])] public partial AttentionBlock Attention { get; }", Pool, Head]),
            "Attention: a Causal, LocalWindow or Graph mask on cross-attention (queries and keys come from different sequences) is not supported"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reports_exactly_one_diagnostic_at_the_offending_argument(string id, string markup, string message)
    {
        (string source, Microsoft.CodeAnalysis.Text.TextSpan span) = Markup.Parse(markup);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();

        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("Input0.cs", diagnostic.Location.SourceTree?.FilePath ?? diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Empty(outcome.GeneratedFileProblems());
    }

    [Fact]
    public void Every_descriptor_has_a_case_a_docs_page_and_a_release_entry()
    {
        var ids = typeof(Diagnostics.DiagnosticDescriptors)
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(field => ((DiagnosticDescriptor)field.GetValue(null)!).Id)
            .ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());

        var tested = Cases.Select(row => (string)row[0]).ToHashSet();
        tested.Add("MDSL9001"); // Internal_error_becomes_MDSL9001 below
        tested.Add("MDSL2002"); // MDSL2002_guards_the_trainer_but_no_valid_declaration_reaches_it below
        tested.Add("MDSL0016"); // reported by MemberNameAnalyzer, not the generator: CodeFixTests.Mdsl0016_*
        tested.Add("MDSL0017"); // reported by UndisposedAnalyzer: AnalyzerTests.Mdsl0017_*
        string root = RepositoryRoot();
        string unshipped = System.IO.File.ReadAllText(System.IO.Path.Combine(root, "generator/ModelDsl.Generator/AnalyzerReleases.Unshipped.md"));
        foreach (string id in ids)
        {
            Assert.Contains(id, tested);
            Assert.True(System.IO.File.Exists(System.IO.Path.Combine(root, "docs/diagnostics", id + ".md")), "docs/diagnostics/" + id + ".md is missing");
            Assert.Contains(id + " |", unshipped);
        }
    }

    [Fact]
    public void Every_descriptor_has_a_category_and_a_help_link_to_its_docs_page()
    {
        string root = RepositoryRoot();
        var descriptors = typeof(Diagnostics.DiagnosticDescriptors)
            .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(field => (DiagnosticDescriptor)field.GetValue(null)!)
            .ToList();
        Assert.NotEmpty(descriptors);
        foreach (DiagnosticDescriptor descriptor in descriptors)
        {
            Assert.Contains(descriptor.Category, new[] { "ModelDsl.Declaration", "ModelDsl.Shapes", "ModelDsl.Unsupported", "ModelDsl.Internal" });
            string expectedPrefix = Diagnostics.DiagnosticDescriptors.HelpLinkBase;
            Assert.True(descriptor.HelpLinkUri.StartsWith(expectedPrefix, System.StringComparison.Ordinal), $"{descriptor.Id}: help link '{descriptor.HelpLinkUri}'");
            string page = descriptor.HelpLinkUri[expectedPrefix.Length..];
            Assert.Equal(descriptor.Id + ".md", page);
            string path = System.IO.Path.Combine(root, "docs/diagnostics", page);
            Assert.True(System.IO.File.Exists(path), $"{descriptor.Id}: {descriptor.HelpLinkUri} points at docs/diagnostics/{page}, which is missing");
            Assert.Contains("## Fix", System.IO.File.ReadAllText(path), System.StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_forgotten_From_in_a_seq2seq_model_reports_the_unread_input_and_the_implicit_embedding()
    {
        // Issue 17's first report: SourceEmbedding without From reads Target; Source is read by nothing.
        string source = Model(members:
        [
            "[Input(Length)] public partial TokenInput Source { get; }",
            "[Input(Length)] public partial TokenInput Target { get; }",
            "[Embedding(Vocab, D)] public partial TokenEmbedding SourceEmbedding { get; }",
            "[TransformerEncoder(Layers = 1, Heads = 4, FeedForward = 32)] public partial EncoderStack Encoder { get; }",
            "[Embedding(Vocab, D, From = nameof(Target))] public partial TokenEmbedding TargetEmbedding { get; }",
            "[TransformerDecoder(Layers = 1, Heads = 4, FeedForward = 32, Memory = nameof(Encoder))] public partial DecoderStack Decoder { get; }",
            "[Dense(Vocab)] [CrossEntropyLoss] public partial Dense Logits { get; }",
        ]);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        Assert.Equal(
            [
                "MDSL0018 'Source' is never read: no later member takes it as its input (From = nameof(Source)) or as its Memory; connect it or remove it",
                "MDSL0019 SourceEmbedding: reads 'Target' only because it is the member before it, while the model has several token inputs (Source, Target); write From = nameof(Target) if that is meant",
                // and the symptom the issue describes (no CreateDecoder) now says why:
                "MDSL0021 Model 'M' predicts the tokens of its input per position but gets no StepDecoder (no CreateDecoder): 'Encoder' ([TransformerEncoder]) cannot run one position at a time (it sees later positions: not causal, or bidirectional)",
            ],
            outcome.GeneratorDiagnostics.OrderBy(d => d.Id, System.StringComparer.Ordinal)
                .Select(d => d.Id + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Empty(outcome.GeneratedFileProblems());
    }

    [Fact]
    public void MDSL2002_guards_the_trainer_but_no_valid_declaration_reaches_it()
    {
        // Its last trigger, a standalone [MultiHeadAttention] with Dropout > 0 (dropout on the attention probabilities), now gets
        // a trainer and no diagnostic.
        string source = Model(members: [Input, Embedding, "[MultiHeadAttention(4, Dropout = 0.1f)] public partial AttentionBlock Attention { get; }", Pool, Head]);
        GeneratorOutcome outcome = GeneratorHarness.Run(source);
        outcome.AssertNoCrash();
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.GeneratedFileProblems());
        Assert.Contains(outcome.Sources, generated => generated.SourceText.ToString().Contains("public Trainer CreateTrainer(", System.StringComparison.Ordinal));

        // The check stays for the next layer the trainer emitter does not handle: a layer kind it does not know gets the message
        // the planner reports as MDSL2002.
        IncrementalGeneratorRunStep step = Assert.Single(outcome.Result.TrackedSteps[TrackingNames.Plan]);
        var plan = (ModelPlan)step.Outputs.Single().Value;
        Assert.Null(TrainingSupport.Unsupported(plan));
        var layers = plan.Layers.Select(layer => layer.Name == "Attention" ? layer with { Kind = Parsing.LayerKind.Unknown } : layer).ToEquatableArray();
        string? unsupported = TrainingSupport.Unsupported(plan with { Layers = layers });
        Assert.NotNull(unsupported);
        string message = Diagnostic.Create(Diagnostics.DiagnosticDescriptors.TrainingNotSupportedYet, Location.None, "M", unsupported).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("Model 'M': " + unsupported + " is not supported yet; the layout, layer properties and Batch are generated, but no CreateTrainer/Trainer", message);
        Assert.Contains("(Attention)", unsupported, System.StringComparison.Ordinal);
    }

    [Fact]
    public void Internal_error_becomes_MDSL9001()
    {
        // A plan that claims a property implementation for a layer that does not exist makes the emitter throw.
        var plan = new ModelPlan(
            "Demo", "M", CanEmit: true, Valid: true, MaxBatch: 1,
            EquatableArray<LayerPlan>.Empty, EquatableArray<InputPlan>.Empty, null, EquatableArray<DimConstant>.Empty,
            new[] { new PropertyPlan("Head", "public", "global::ModelDsl.Dense", 3) }.ToEquatableArray(),
            0, 0, 0, 0, 0, EquatableArray<DiagnosticInfo>.Empty);

        EmitResult result = ModelEmitter.Emit(plan, default);

        Assert.Empty(result.Sources);
        DiagnosticInfo diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("MDSL9001", diagnostic.Descriptor.Id);
        Assert.Matches("^ModelDsl generator internal error while processing 'M': \\w*Exception: ", diagnostic.ToDiagnostic().GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Cancellation_propagates()
    {
        using var cancellation = new System.Threading.CancellationTokenSource();
        cancellation.Cancel();
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation compilation = GeneratorHarness.Compilation(TestModels.Sentiment);
        Assert.ThrowsAny<System.OperationCanceledException>(() => GeneratorHarness.Driver().RunGenerators(compilation, cancellation.Token));
    }

    internal static string Model(string[] members, string header = "public partial class M", string attribute = "[Model(MaxBatch = 8)]")
    {
        var lines = new List<string>
        {
            "using ModelDsl;",
            string.Empty,
            "namespace Demo;",
            string.Empty,
            attribute,
            header,
            "{",
            "    public const int Vocab = 100, D = 64, Length = 16, Classes = 3;",
        };
        lines.AddRange(members.Select(member => "    " + member));
        lines.Add("}");
        return string.Join("\n", lines) + "\n";
    }

    internal static string RepositoryRoot()
    {
        string? directory = System.AppContext.BaseDirectory;
        while (directory is not null && !System.IO.File.Exists(System.IO.Path.Combine(directory, "ModelDsl.sln")))
        {
            directory = System.IO.Path.GetDirectoryName(directory);
        }

        return directory ?? throw new System.InvalidOperationException("ModelDsl.sln not found above " + System.AppContext.BaseDirectory);
    }
}
