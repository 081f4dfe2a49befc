using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.CodeAnalysis;

namespace ModelDsl.Generator.Tests.Support;

/// <summary>
/// Snapshot assertions with Verify's file conventions, so a later switch to Verify.SourceGenerators changes no file:
/// <c>_snapshots/{TestClass}.{TestMethod}#{HintNameWithoutExtension}.verified.cs</c> (first line <c>//HintName: {HintName}</c>)
/// per generated file, and <c>{TestClass}.{TestMethod}.verified.txt</c> for diagnostics. A mismatch or a missing
/// file writes <c>*.received.*</c> beside it and fails with a diff; a match deletes stale received files.
/// Accept by renaming received to verified, or locally with <c>MODELDSL_ACCEPT=1</c> (ignored when <c>CI=true</c>).
/// </summary>
internal static class Snapshot
{
    public static void Verify(GeneratorOutcome outcome, string testClass, [CallerMemberName] string testMethod = "", [CallerFilePath] string callerFile = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(callerFile)!, "_snapshots");
        Directory.CreateDirectory(directory);
        string prefix = testClass + "." + testMethod;
        var failures = new List<string>();
        var expectedFiles = new HashSet<string>(StringComparer.Ordinal);

        foreach (GeneratedSourceResult source in outcome.Sources)
        {
            string stem = prefix + "#" + Path.GetFileNameWithoutExtension(source.HintName);
            expectedFiles.Add(stem + ".verified.cs");
            string text = "//HintName: " + source.HintName + "\n" + Normalize(source.SourceText.ToString());
            Compare(directory, stem, ".cs", text, failures);
        }

        IReadOnlyList<Diagnostic> diagnostics = [.. outcome.GeneratorDiagnostics.OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal)];
        if (diagnostics.Count > 0)
        {
            expectedFiles.Add(prefix + ".verified.txt");
            Compare(directory, prefix, ".txt", Describe(diagnostics), failures);
        }

        // A verified file for a hint name (or diagnostics) that the generator no longer produces is stale.
        foreach (string path in Directory.GetFiles(directory, prefix + "*.verified.*"))
        {
            string name = Path.GetFileName(path);
            bool ours = name.StartsWith(prefix + "#", StringComparison.Ordinal) || name == prefix + ".verified.txt";
            if (ours && !expectedFiles.Contains(name))
            {
                if (Accepting)
                {
                    File.Delete(path);
                }
                else
                {
                    failures.Add(name + " is no longer produced; delete it.");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    /// <summary>One line per diagnostic: id, severity, file, 1-based line span, message.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics)
    {
        var builder = new StringBuilder();
        foreach (Diagnostic diagnostic in diagnostics)
        {
            FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
            builder.Append(diagnostic.Id).Append(' ').Append(diagnostic.Severity).Append(' ')
                .Append(Path.GetFileName(span.Path)).Append('(')
                .Append(span.StartLinePosition.Line + 1).Append(',').Append(span.StartLinePosition.Character + 1).Append('-')
                .Append(span.EndLinePosition.Line + 1).Append(',').Append(span.EndLinePosition.Character + 1).Append("): ")
                .Append(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }

        return builder.ToString();
    }

    private static bool Accepting =>
        Environment.GetEnvironmentVariable("MODELDSL_ACCEPT") == "1"
        && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static void Compare(string directory, string stem, string extension, string actual, List<string> failures)
    {
        string verified = Path.Combine(directory, stem + ".verified" + extension);
        string received = Path.Combine(directory, stem + ".received" + extension);
        string? expected = File.Exists(verified) ? Normalize(File.ReadAllText(verified)) : null;
        if (expected == actual)
        {
            if (File.Exists(received))
            {
                File.Delete(received);
            }

            return;
        }

        if (Accepting)
        {
            File.WriteAllText(verified, actual);
            if (File.Exists(received))
            {
                File.Delete(received);
            }

            return;
        }

        File.WriteAllText(received, actual);
        failures.Add(expected is null
            ? "Missing snapshot " + Path.GetFileName(verified) + "; wrote " + Path.GetFileName(received) + ". Review it and rename it to .verified" + extension + " (or run with MODELDSL_ACCEPT=1)."
            : "Snapshot " + Path.GetFileName(verified) + " differs; wrote " + Path.GetFileName(received) + ":\n" + Diff(expected, actual));
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    /// <summary>The first differing lines with two lines of context.</summary>
    private static string Diff(string expected, string actual)
    {
        string[] a = expected.Split('\n');
        string[] b = actual.Split('\n');
        int first = 0;
        while (first < a.Length && first < b.Length && a[first] == b[first])
        {
            first++;
        }

        var builder = new StringBuilder();
        builder.Append("first difference at line ").Append(first + 1).Append('\n');
        for (int i = Math.Max(0, first - 2); i < first; i++)
        {
            builder.Append("  ").Append(a[i]).Append('\n');
        }

        for (int i = first; i < Math.Min(a.Length, first + 6); i++)
        {
            builder.Append("- ").Append(a[i]).Append('\n');
        }

        for (int i = first; i < Math.Min(b.Length, first + 6); i++)
        {
            builder.Append("+ ").Append(b[i]).Append('\n');
        }

        return builder.ToString();
    }
}
