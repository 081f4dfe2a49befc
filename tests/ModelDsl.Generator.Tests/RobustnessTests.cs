using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using ModelDsl.Generator.Tests.Support;

namespace ModelDsl.Generator.Tests;

/// <summary>
/// Malformed declarations (generated from a template and written by hand) never crash the generator and never yield
/// generated code that fails to compile: whatever is wrong is reported by the compiler or an MDSL diagnostic.
/// </summary>
public sealed class RobustnessTests
{
    private static readonly string[] Template =
    [
        "[Input(Length, PadId = 0)] public partial TokenInput Text { get; }",
        "[Embedding(Vocab, D)] public partial TokenEmbedding Tokens { get; }",
        "[LearnedPositions(Length)] public partial Positions Positions { get; }",
        "[TransformerEncoder(Layers = 2, Heads = 4, FeedForward = 4 * D, Mask = Masks.KeyPadding | Masks.LocalWindow, WindowRadius = 3)] public partial EncoderStack Encoder { get; }",
        "[TransformerDecoder(Layers = 1, Heads = 2, Memory = nameof(Encoder))] public partial DecoderStack Decoder { get; }",
        "[MeanPool] public partial Pool Pool { get; }",
        "[Dense(Classes, Activation = Activation.Relu)] [CrossEntropyLoss(LabelSmoothing = 0.1f)] public partial Dense Head { get; }",
    ];

    private static readonly string[] BadValues = ["0", "-1", "int.MaxValue", "1 << 30", "\"x\"", "1.5f", "null", "Missing", "D / 0", "Length * Length * Length", ""];

    [Fact]
    public void Malformed_declarations_never_crash_or_break_generated_code()
    {
        List<(string Name, string Source)> cases = [.. TemplateMutations(), .. HandWritten()];
        Assert.True(cases.Count >= 100, "only " + cases.Count + " cases");
        Assert.Equal(cases.Count, cases.Select(c => c.Name).Distinct().Count());

        // Cases are independent and Roslyn compilations are thread-safe: run them on every core.
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        int emitted = 0;
        System.Threading.Tasks.Parallel.ForEach(cases, item =>
        {
            (string name, string source) = item;
            GeneratorOutcome outcome = GeneratorHarness.Run(source);
            if (outcome.Result.Exception is { } exception)
            {
                failures.Add(name + ": generator threw " + exception);
                return;
            }

            if (outcome.DriverDiagnostics.Concat(outcome.GeneratorDiagnostics).FirstOrDefault(d => d.Id is "CS8785" or "CS8784") is { } crash)
            {
                failures.Add(name + ": " + crash);
            }

            if (outcome.Result.GeneratedSources.Length > 0)
            {
                System.Threading.Interlocked.Increment(ref emitted);
                foreach (Diagnostic error in outcome.GeneratedFileProblems().Where(d => d.Severity == DiagnosticSeverity.Error))
                {
                    failures.Add(name + ": generated code does not compile: " + error);
                }
            }
        });

        Assert.True(failures.Count == 0, string.Join("\n\n", failures.OrderBy(f => f, StringComparer.Ordinal).Take(40)));
        Assert.True(emitted > cases.Count / 4, "too few cases emitted code (" + emitted + "), the check above would be vacuous");
    }

    private static IEnumerable<(string, string)> TemplateMutations()
    {
        string valid = Model(Template);
        yield return ("valid", valid);

        for (int line = 0; line < Template.Length; line++)
        {
            yield return ("delete line " + line, Model(Replace(line, string.Empty)));
            string member = Template[line];
            string withoutAttributes = member.Substring(member.LastIndexOf(']') + 1).Trim();
            yield return ("drop attributes " + line, Model(Replace(line, withoutAttributes)));
            yield return ("not partial " + line, Model(Replace(line, member.Replace("partial ", string.Empty, StringComparison.Ordinal))));
            yield return ("setter " + line, Model(Replace(line, member.Replace("{ get; }", "{ get; set; }", StringComparison.Ordinal))));
            yield return ("static " + line, Model(Replace(line, member.Replace("public partial", "public static partial", StringComparison.Ordinal))));
            yield return ("nullable " + line, Model(Replace(line, member.Replace(" { get; }", "? Nullable { get; }", StringComparison.Ordinal).Replace("? Nullable", "?", StringComparison.Ordinal).Replace("partial Pool?", "partial Pool?", StringComparison.Ordinal).Replace("TokenInput ", "TokenInput? ", StringComparison.Ordinal))));
            yield return ("wrong type " + line, Model(Replace(line, ReplaceType(member, "Dense"))));
            yield return ("unknown type " + line, Model(Replace(line, ReplaceType(member, "Nonexistent"))));
            yield return ("int type " + line, Model(Replace(line, ReplaceType(member, "int"))));
            yield return ("duplicate " + line, Model([.. Template, member]));
            yield return ("typo attribute " + line, Model(Replace(line, member.Insert(1, "X"))));
        }

        // Replace the first argument of each attribute with bad values.
        for (int line = 0; line < Template.Length; line++)
        {
            string member = Template[line];
            int open = member.IndexOf('(');
            int close = member.IndexOf(')');
            if (open < 0 || close < open || open > member.IndexOf(']'))
            {
                continue;
            }

            string arguments = member.Substring(open + 1, close - open - 1);
            string first = arguments.Split(',')[0];
            foreach (string bad in BadValues)
            {
                string value = first.Contains('=', StringComparison.Ordinal) ? first.Substring(0, first.IndexOf('=') + 1) + " " + bad : bad;
                string mutated = member.Substring(0, open + 1) + value + arguments.Substring(first.Length) + member.Substring(close);
                yield return ("bad argument " + line + " = " + bad, Model(Replace(line, mutated)));
            }
        }

        // Half-typed code: the valid model cut at regular positions.
        for (int i = 1; i <= 16; i++)
        {
            int cut = valid.Length * i / 17;
            yield return ("truncated at " + cut, valid.Substring(0, cut));
        }
    }

    private static IEnumerable<(string, string)> HandWritten()
    {
        string body = string.Join("\n", Template.Select(line => "    " + line));
        string consts = "    public const int Vocab = 50, D = 16, Length = 8, Classes = 3;\n";
        yield return ("nested", "using ModelDsl;\npublic partial class Outer\n{\n[Model(MaxBatch = 2)]\npublic partial class M\n{\n" + consts + body + "\n}\n}\n");
        yield return ("generic", "using ModelDsl;\n[Model(MaxBatch = 2)]\npublic partial class M<T>\n{\n" + consts + body + "\n}\n");
        yield return ("static", "using ModelDsl;\n[Model(MaxBatch = 2)]\npublic static partial class M\n{\n" + consts + "}\n");
        yield return ("record", "using ModelDsl;\n[Model(MaxBatch = 2)]\npublic partial record M\n{\n" + consts + body + "\n}\n");
        yield return ("struct", "using ModelDsl;\n[Model(MaxBatch = 2)]\npublic partial struct M\n{\n" + consts + "}\n");
        yield return ("interface", "using ModelDsl;\n[Model(MaxBatch = 2)]\npublic partial interface M\n{\n}\n");
        yield return ("file class", "using ModelDsl;\n[Model(MaxBatch = 2)]\nfile partial class M\n{\n" + consts + body + "\n}\n");
        yield return ("empty", "using ModelDsl;\n[Model(MaxBatch = 2)]\npublic partial class M\n{\n}\n");
        yield return ("no MaxBatch", "using ModelDsl;\n[Model]\npublic partial class M\n{\n" + consts + body + "\n}\n");
        yield return ("negative MaxBatch", "using ModelDsl;\n[Model(MaxBatch = -5)]\npublic partial class M\n{\n" + consts + body + "\n}\n");
        yield return ("huge MaxBatch", "using ModelDsl;\n[Model(MaxBatch = int.MaxValue)]\npublic partial class M\n{\n" + consts + body + "\n}\n");
        yield return ("MaxBatch string", "using ModelDsl;\n[Model(MaxBatch = \"8\")]\npublic partial class M\n{\n" + consts + body + "\n}\n");
        yield return ("Model twice", "using ModelDsl;\n[Model(MaxBatch = 2)]\npublic partial class M\n{\n" + consts + body + "\n}\n[Model(MaxBatch = 3)]\npublic partial class M\n{\n}\n");
        yield return ("same name twice", "using ModelDsl;\n[Model(MaxBatch = 2)]\npublic partial class M\n{\n" + consts + body + "\n}\n[Model(MaxBatch = 3)]\npublic class M\n{\n}\n");
        yield return ("two namespaces", "using ModelDsl;\nnamespace A { [Model(MaxBatch = 2)] public partial class M {\n" + consts + body + "\n} }\nnamespace B { [Model(MaxBatch = 2)] public partial class M {\n" + consts + body + "\n} }\n");
        yield return ("keyword names", "using ModelDsl;\nnamespace @if;\n[Model(MaxBatch = 2)]\npublic partial class @class\n{\n    [Input(4)] public partial TokenInput @int { get; }\n    [Embedding(10, 4)] public partial TokenEmbedding @string { get; }\n    [MeanPool] public partial Pool @event { get; }\n    [Dense(2)] [CrossEntropyLoss] public partial Dense @return { get; }\n}\n");
        yield return ("class named Batch", "using ModelDsl;\n[Model(MaxBatch = 2)]\npublic partial class Batch\n{\n" + consts + body + "\n}\n");
        yield return ("member named like class", "using ModelDsl;\n[Model(MaxBatch = 2)]\npublic partial class Text\n{\n" + consts + body + "\n}\n");
        yield return ("user ctor(ulong)", Model([.. Template, "public M(ulong seed) { }"]));
        yield return ("user ctor()", Model([.. Template, "public M() { }"]));
        yield return ("user Dims", Model([.. Template, "public static class Dims { }"]));
        yield return ("user private field", Model([.. Template, "private int __text;"]));
        yield return ("input named Count", Model(["[Input(Length)] public partial TokenInput Count { get; }", .. Template.Skip(1)]));
        yield return ("input named TextLengths", Model(["[Input(Length)] public partial TokenInput TextLengths { get; }", .. Template.Skip(1)]));
        yield return ("unknown attribute", Model([.. Template.Select(line => "[System.Obsolete] [Unknown] " + line)]));
        yield return ("foreign Dense", "namespace Other { public sealed class DenseAttribute(int units) : System.Attribute { public int Units { get; } = units; } }\n" + Model(["[Other.Dense(3)] public partial ModelDsl.Dense Head { get; }"]));
        yield return ("layer on method", Model([.. Template, "[Dense(3)] public ModelDsl.Dense Method() => null!;"]));
        yield return ("layer on field", Model([.. Template, "[Dense(3)] public ModelDsl.Dense? Field;"]));
        yield return ("implemented partial", Model([.. Template, "[Dropout(0.1f)] public partial DropoutLayer Extra { get; }", "public partial DropoutLayer Extra => null!;"]));
        yield return ("layer property outside a model", "using ModelDsl;\npublic partial class NotAModel\n{\n    [Dense(3)] public partial Dense Head { get; }\n}\n");
        yield return ("two layer attributes", Model(["[Input(Length)] [Embedding(Vocab, D)] public partial TokenInput Text { get; }", .. Template.Skip(1)]));
        yield return ("two losses", Model([.. Template.Take(Template.Length - 1), "[Dense(Classes)] [CrossEntropyLoss] [MseLoss] public partial Dense Head { get; }"]));
        yield return ("loss only", Model([.. Template, "[MseLoss] public partial Dense Extra { get; }"]));
        yield return ("mask out of range", Model([.. Template.Take(3), "[TransformerEncoder(Heads = 4, Mask = (Masks)99)] public partial EncoderStack Encoder { get; }", .. Template.Skip(4)]));
        yield return ("activation out of range", Model([.. Template.Take(6), "[Dense(Classes, Activation = (Activation)42)] [CrossEntropyLoss] public partial Dense Head { get; }"]));
        yield return ("graph mask", Model([.. Template.Take(3), "[TransformerEncoder(Heads = 4, Mask = Masks.Graph | Masks.Causal)] public partial EncoderStack Encoder { get; }", .. Template.Skip(4)]));
        yield return ("tied to input", Model([.. Template.Take(6), "[Dense(Classes, TiedTo = nameof(Text))] [CrossEntropyLoss] public partial Dense Head { get; }"]));
        yield return ("tied to self", Model([.. Template.Take(6), "[Dense(Classes, TiedTo = nameof(Head))] [CrossEntropyLoss] public partial Dense Head { get; }"]));
        yield return ("tied to unknown", Model([.. Template.Take(6), "[Dense(Classes, TiedTo = \"Nope\")] [CrossEntropyLoss] public partial Dense Head { get; }"]));
        yield return ("From null", Model([.. Template.Take(1), "[Embedding(Vocab, D, From = null)] public partial TokenEmbedding Tokens { get; }", .. Template.Skip(2)]));
        yield return ("From empty", Model([.. Template.Take(1), "[Embedding(Vocab, D, From = \"\")] public partial TokenEmbedding Tokens { get; }", .. Template.Skip(2)]));
        yield return ("memory is tokens", Model([.. Template.Take(4), "[TransformerDecoder(Heads = 2, Memory = nameof(Text))] public partial DecoderStack Decoder { get; }", .. Template.Skip(5)]));
        yield return ("NaN dropout", Model([.. Template, "[Dropout(float.NaN)] public partial DropoutLayer Extra { get; }"]));
        yield return ("infinite smoothing", Model([.. Template.Take(6), "[Dense(Classes)] [CrossEntropyLoss(LabelSmoothing = float.PositiveInfinity)] public partial Dense Head { get; }"]));
        yield return ("huge everything", Model(["[Input(int.MaxValue)] public partial TokenInput Text { get; }", "[Embedding(int.MaxValue, int.MaxValue)] public partial TokenEmbedding Tokens { get; }", .. Template.Skip(2)]));
        yield return ("huge heads", Model([.. Template.Take(3), "[TransformerEncoder(Layers = int.MaxValue, Heads = 1, FeedForward = int.MaxValue)] public partial EncoderStack Encoder { get; }", .. Template.Skip(4)]));
        yield return ("params just over int", Model([.. Template.Take(1), "[Embedding(1 << 16, 1 << 12)] public partial TokenEmbedding Tokens { get; }", "[Dense(1 << 16, From = nameof(Tokens))] public partial Dense A { get; }", "[Dense(1 << 16)] public partial Dense B { get; }", "[Dense(Classes)] [CrossEntropyLoss] public partial Dense Head { get; }"]));
        yield return ("non-constant argument", Model([.. Template, "public static int NotConst = 3;", "[Dense(NotConst)] public partial Dense Extra { get; }"]));
        yield return ("missing ctor argument", Model([.. Template.Take(1), "[Embedding(Vocab)] public partial TokenEmbedding Tokens { get; }", .. Template.Skip(2)]));
        yield return ("too many arguments", Model([.. Template.Take(1), "[Embedding(Vocab, D, 3)] public partial TokenEmbedding Tokens { get; }", .. Template.Skip(2)]));
        yield return ("unknown named argument", Model([.. Template.Take(1), "[Embedding(Vocab, D, Colour = 3)] public partial TokenEmbedding Tokens { get; }", .. Template.Skip(2)]));
        yield return ("half attribute", Model([.. Template.Take(1), "[Embedding(Vocab, D public partial TokenEmbedding Tokens { get; }", .. Template.Skip(2)]));
        yield return ("half property", Model([.. Template.Take(6), "[Dense(Classes)] public partial Dense"]));
        yield return ("garbage", "using ModelDsl; [Model(MaxBatch = 2)] public partial class M { [Input(3)] public partial TokenInput X { get; } } } } ] ) ( [ {");
        yield return ("indexer", Model([.. Template, "[Dropout(0.1f)] public partial DropoutLayer this[int i] { get; }"]));
        yield return ("virtual", Model([.. Template, "[Dropout(0.1f)] public virtual partial DropoutLayer Extra { get; }"]));
        yield return ("new", Model([.. Template, "[Dropout(0.1f)] public new partial DropoutLayer Extra { get; }"]));
        yield return ("ref return", Model([.. Template, "[Dropout(0.1f)] public partial ref Dropout Extra { get; }"]));
        yield return ("init accessor", Model([.. Template, "[Dropout(0.1f)] public partial DropoutLayer Extra { get; init; }"]));
        yield return ("private protected", Model([.. Template, "[Dropout(0.1f)] private protected partial DropoutLayer Extra { get; }"]));
        yield return ("no accessibility", Model([.. Template, "[Dropout(0.1f)] partial DropoutLayer Extra { get; }"]));
        yield return ("pool of vector", Model([.. Template, "[LastTokenPool] public partial Pool Extra { get; }"]));
        yield return ("MSE on tokens", Model(["[Input(Length)] [MseLoss] public partial TokenInput Text { get; }"]));
        yield return ("features only", Model(["[Input(Features = 5)] public partial FeatureInput X { get; }", "[BatchNorm(Momentum = 2f)] public partial Norm N { get; }", "[Dense(1)] [MseLoss] public partial Dense Y { get; }"]));
        yield return ("feature sequence", Model(["[Input(Length, Features = 5)] public partial FeatureInput X { get; }", "[MultiHeadAttention(5, Mask = Masks.Graph)] public partial AttentionBlock A { get; }", "[LastTokenPool] public partial Pool P { get; }", "[Dense(2)] [CrossEntropyLoss] public partial Dense Y { get; }"]));
        yield return ("input type mismatch", Model(["[Input(Features = 5)] public partial TokenInput X { get; }", "[Dense(2)] [CrossEntropyLoss] public partial Dense Y { get; }"]));
    }

    private static string[] Replace(int line, string text)
    {
        string[] members = (string[])Template.Clone();
        members[line] = text;
        return members;
    }

    private static string ReplaceType(string member, string type)
    {
        int partial = member.IndexOf("partial ", StringComparison.Ordinal);
        int name = member.IndexOf(' ', partial + 8);
        return member.Substring(0, partial + 8) + type + member.Substring(name);
    }

    private static string Model(string[] members) =>
        "using ModelDsl;\n\nnamespace Fuzz;\n\n[Model(MaxBatch = 4)]\npublic partial class M\n{\n    public const int Vocab = 50, D = 16, Length = 8, Classes = 3;\n"
        + string.Join("\n", members.Select(member => "    " + member)) + "\n}\n";
}
