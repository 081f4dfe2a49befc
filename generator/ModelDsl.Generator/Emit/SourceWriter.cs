using System;
using System.Collections.Generic;
using System.Text;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// Writes C# text with indentation and '\n' line ends (deterministic on every OS). A line longer than
/// <see cref="MaxLineLength"/> is wrapped: a comment at its spaces (each piece keeps the <c>//</c> or <c>///</c>), code after
/// the commas of its outermost argument lists (continuations one indent deeper), so a reader never scrolls sideways.
/// </summary>
internal sealed class SourceWriter
{
    /// <summary>The longest line the writer emits when the line can be broken (a single token or literal may be longer).</summary>
    public const int MaxLineLength = 150;

    private const string IndentUnit = "    ";
    private readonly StringBuilder _builder = new();
    private int _indent;

    public SourceWriter Line(string text = "")
    {
        if (text.Length == 0)
        {
            _builder.Append('\n');
            return this;
        }

        string indent = Repeat(IndentUnit, _indent);
        if (indent.Length + text.Length <= MaxLineLength || text.IndexOf('\n') >= 0)
        {
            _builder.Append(indent).Append(text).Append('\n');
            return this;
        }

        foreach (string piece in Wrap(indent, text))
        {
            _builder.Append(piece).Append('\n');
        }

        return this;
    }

    /// <summary>Writes <c>{</c> and indents.</summary>
    public SourceWriter Open(string? header = null)
    {
        if (header is not null)
        {
            Line(header);
        }

        Line("{");
        _indent++;
        return this;
    }

    /// <summary>Unindents and writes <c>}</c> (plus an optional suffix such as <c>;</c>).</summary>
    public SourceWriter Close(string suffix = "")
    {
        _indent = Math.Max(0, _indent - 1);
        return Line("}" + suffix);
    }

    public SourceWriter Indent()
    {
        _indent++;
        return this;
    }

    public SourceWriter Unindent()
    {
        _indent = Math.Max(0, _indent - 1);
        return this;
    }

    public override string ToString() => _builder.ToString();

    /// <summary>The lines <paramref name="text"/> (at <paramref name="indent"/>) becomes, each within <see cref="MaxLineLength"/> where a break exists.</summary>
    internal static List<string> Wrap(string indent, string text)
    {
        int trimmed = 0;
        while (trimmed < text.Length && text[trimmed] == ' ')
        {
            trimmed++;
        }

        string lead = indent + text.Substring(0, trimmed);
        string body = text.Substring(trimmed);
        if (body.StartsWith("//", StringComparison.Ordinal))
        {
            return WrapComment(lead, body);
        }

        if (body.StartsWith("#", StringComparison.Ordinal))
        {
            return [lead + body];
        }

        return WrapCode(lead, body);
    }

    private static List<string> WrapComment(string lead, string body)
    {
        string marker = body.StartsWith("/// ", StringComparison.Ordinal) ? "/// " : "// ";
        // "[B,T,64] -> [B,T,128]" stays on one line: an arrow joins the words on either side of it.
        var words = new List<string>();
        foreach (string word in body.Substring(marker.Length).Split(' '))
        {
            if (words.Count > 0 && (word == "->" || words[words.Count - 1].EndsWith(" ->", StringComparison.Ordinal)))
            {
                words[words.Count - 1] += " " + word;
            }
            else
            {
                words.Add(word);
            }
        }

        var lines = new List<string>();
        var line = new StringBuilder(lead).Append(marker);
        int empty = line.Length;
        foreach (string word in words)
        {
            if (line.Length > empty && line.Length + 1 + word.Length > MaxLineLength)
            {
                lines.Add(line.ToString());
                line.Clear().Append(lead).Append(marker);
            }

            if (line.Length > empty)
            {
                line.Append(' ');
            }

            line.Append(word);
        }

        lines.Add(line.ToString());
        return lines;
    }

    /// <summary>
    /// Breaks after the opening parenthesis and the <c>", "</c> separators of argument and parameter lists, shallowest first:
    /// those of depth 1 (the statement's own call), then also those of depth 2, ... until every piece fits. Literals and a trailing comment are not broken.
    /// </summary>
    private static List<string> WrapCode(string lead, string body)
    {
        var commas = new List<(int Index, int Depth, bool Comma)>();
        int depth = 0;
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c == '/' && i + 1 < body.Length && body[i + 1] == '/')
            {
                break;
            }

            switch (c)
            {
                case '"':
                case '\'':
                    i = SkipLiteral(body, i);
                    break;
                case '(':
                    depth++;
                    commas.Add((i, depth, false));
                    break;
                case '[':
                case '{':
                    depth++;
                    break;
                case ')':
                case ']':
                case '}':
                    depth--;
                    break;
                case ',' when depth >= 1 && i + 1 < body.Length && body[i + 1] == ' ':
                    commas.Add((i, depth, true));
                    break;
            }
        }

        var depths = new SortedSet<int>();
        foreach ((int _, int d, bool _) in commas)
        {
            depths.Add(d);
        }

        List<string> best = [lead + body];
        foreach (int limit in depths)
        {
            best = Fill(lead, body, commas, limit);
            bool fits = true;
            foreach (string line in best)
            {
                fits &= line.Length <= MaxLineLength;
            }

            if (fits)
            {
                break;
            }
        }

        return best;
    }

    private static List<string> Fill(string lead, string body, List<(int Index, int Depth, bool Comma)> commas, int limit)
    {
        string continuation = lead + IndentUnit;
        var lines = new List<string>();
        var line = new StringBuilder(lead);
        bool fresh = true;
        string joiner = string.Empty;
        int start = 0;
        foreach ((int index, int depth, bool comma) in commas)
        {
            if (depth <= limit)
            {
                Append(body.Substring(start, index + 1 - start), comma ? " " : string.Empty);
                start = index + (comma ? 2 : 1);
            }
        }

        Append(body.Substring(start), string.Empty);
        lines.Add(line.ToString());
        return lines;

        // Adds a piece, on a new continuation line when it does not fit; next is what joins the following piece on the same line.
        void Append(string piece, string next)
        {
            if (piece.Length == 0)
            {
                joiner = next;
                return;
            }

            if (!fresh && line.Length + joiner.Length + piece.Length > MaxLineLength)
            {
                lines.Add(line.ToString());
                line.Clear().Append(continuation);
                fresh = true;
            }

            line.Append(fresh ? string.Empty : joiner).Append(piece);
            fresh = false;
            joiner = next;
        }
    }

    /// <summary>The index of the closing quote of the string or char literal opening at <paramref name="start"/> (interpolations included).</summary>
    private static int SkipLiteral(string text, int start)
    {
        char quote = text[start];
        bool interpolated = quote == '"' && start > 0 && text[start - 1] == '$';
        for (int i = start + 1; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\\')
            {
                i++;
            }
            else if (c == quote)
            {
                return i;
            }
            else if (interpolated && c == '{')
            {
                if (i + 1 < text.Length && text[i + 1] == '{')
                {
                    i++;
                    continue;
                }

                int depth = 1;
                for (i++; i < text.Length && depth > 0; i++)
                {
                    if (text[i] == '"' || text[i] == '\'')
                    {
                        i = SkipLiteral(text, i);
                    }
                    else if (text[i] == '{')
                    {
                        depth++;
                    }
                    else if (text[i] == '}')
                    {
                        depth--;
                    }
                }

                i--;
            }
        }

        return text.Length - 1;
    }

    private static string Repeat(string unit, int count)
    {
        var builder = new StringBuilder(unit.Length * count);
        for (int i = 0; i < count; i++)
        {
            builder.Append(unit);
        }

        return builder.ToString();
    }
}
