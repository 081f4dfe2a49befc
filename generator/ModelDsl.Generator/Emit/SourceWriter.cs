using System;
using System.Text;

namespace ModelDsl.Generator.Emit;

/// <summary>Writes C# text with indentation and '\n' line ends (deterministic on every OS).</summary>
internal sealed class SourceWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _builder = new();
    private int _indent;

    public SourceWriter Line(string text = "")
    {
        if (text.Length > 0)
        {
            for (int i = 0; i < _indent; i++)
            {
                _builder.Append(IndentUnit);
            }

            _builder.Append(text);
        }

        _builder.Append('\n');
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
}
