using System;
using System.Globalization;
using System.IO;

namespace ModelDsl.Examples.DateTranslator;

/// <summary>
/// Command-line options: <c>--model transformer|gru-bahdanau|gru-luong|gru-plain|transformer-copy</c>, <c>--steps N</c>,
/// <c>--minutes M</c>, <c>--threads N</c>, <c>--out DIR</c> (also written <c>--name=value</c>).
/// </summary>
public sealed record Options
{
    /// <summary>The usage text printed by <c>--help</c> and after a bad argument.</summary>
    public const string Usage = """
        usage: dotnet run -c Release --project examples/DateTranslator -- [options]
          --model NAME   transformer (default), gru-bahdanau, gru-luong, gru-plain or transformer-copy
          --steps N      training steps (default 3000)
          --minutes M    stop training after M minutes even if steps remain (default 5)
          --threads N    worker threads (default: all processors)
          --out DIR      folder for attention-MODEL.png, training-MODEL-loss.png (and the other curves),
                         training-MODEL.csv and vocabulary.json (default examples/DateTranslator/output
                         when run from the repository root, else ./output)
          --help         this text
        """;

    /// <summary>The architecture.</summary>
    public ModelKind Model { get; init; } = ModelKind.Transformer;

    /// <summary>Training steps.</summary>
    public int Steps { get; init; } = 3000;

    /// <summary>Time limit for training, or null for none.</summary>
    public TimeSpan? TimeLimit { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Worker threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Folder for the outputs.</summary>
    public string OutputDirectory { get; init; } = DefaultOutputDirectory();

    /// <summary>True when <c>--help</c> was given.</summary>
    public bool Help { get; init; }

    /// <summary>The command-line name of <paramref name="model"/>.</summary>
    public static string Name(ModelKind model) => model switch
    {
        ModelKind.Transformer => "transformer",
        ModelKind.GruBahdanau => "gru-bahdanau",
        ModelKind.GruLuong => "gru-luong",
        ModelKind.GruPlain => "gru-plain",
        ModelKind.TransformerCopy => "transformer-copy",
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "Unknown model kind."),
    };

    /// <summary>Parses <paramref name="args"/>.</summary>
    /// <exception cref="FormatException">An unknown option, a missing or malformed value; the message says which.</exception>
    public static Options Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string? inline = null;
            int equals = name.IndexOf('=', StringComparison.Ordinal);
            if (name.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                inline = name[(equals + 1)..];
                name = name[..equals];
            }

            if (name is "--help" or "-h")
            {
                options = options with { Help = true };
                continue;
            }

            string value = inline ?? (i + 1 < args.Length ? args[++i] : throw new FormatException($"{name} needs a value."));
            options = name switch
            {
                "--model" => options with { Model = ParseModel(value) },
                "--steps" => options with { Steps = PositiveInt(name, value) },
                "--minutes" => options with { TimeLimit = TimeSpan.FromMinutes(PositiveDouble(name, value)) },
                "--threads" => options with { Threads = PositiveInt(name, value) },
                "--out" => options with { OutputDirectory = value.Length > 0 ? value : throw new FormatException("--out needs a folder.") },
                _ => throw new FormatException($"Unknown option '{name}'."),
            };
        }

        return options;
    }

    private static ModelKind ParseModel(string value)
    {
        foreach (ModelKind kind in Enum.GetValues<ModelKind>())
        {
            if (string.Equals(Name(kind), value, StringComparison.OrdinalIgnoreCase))
            {
                return kind;
            }
        }

        throw new FormatException($"--model '{value}' is not one of transformer, gru-bahdanau, gru-luong, gru-plain, transformer-copy.");
    }

    private static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int result) && result > 0
            ? result
            : throw new FormatException($"{name} '{value}' is not a positive whole number.");

    private static double PositiveDouble(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double result) && result > 0 && double.IsFinite(result)
            ? result
            : throw new FormatException($"{name} '{value}' is not a positive number.");

    // examples/**/output/ is git-ignored: from the repository root write there, elsewhere into ./output.
    private static string DefaultOutputDirectory() =>
        Directory.Exists(Path.Combine("examples", "DateTranslator"))
            ? Path.Combine("examples", "DateTranslator", "output")
            : "output";
}
