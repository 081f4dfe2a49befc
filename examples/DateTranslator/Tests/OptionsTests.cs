using System;

namespace ModelDsl.Examples.DateTranslator.Tests;

public class OptionsTests
{
    [Fact]
    public void Parse_Empty_GivesDefaults()
    {
        Options options = Options.Parse([]);
        Assert.Equal(ModelKind.Transformer, options.Model);
        Assert.Equal(3000, options.Steps);
        Assert.Equal(TimeSpan.FromMinutes(5), options.TimeLimit);
        Assert.Equal(Environment.ProcessorCount, options.Threads);
        Assert.False(options.Help);
    }

    [Fact]
    public void Parse_ReadsEveryOption_BothSpellings()
    {
        Options options = Options.Parse(["--model", "gru-luong", "--steps=50", "--minutes", "1.5", "--threads", "3", "--out=/tmp/x"]);
        Assert.Equal(ModelKind.GruLuong, options.Model);
        Assert.Equal(50, options.Steps);
        Assert.Equal(TimeSpan.FromSeconds(90), options.TimeLimit);
        Assert.Equal(3, options.Threads);
        Assert.Equal("/tmp/x", options.OutputDirectory);
    }

    [Theory]
    [InlineData("transformer", ModelKind.Transformer)]
    [InlineData("gru-bahdanau", ModelKind.GruBahdanau)]
    [InlineData("GRU-Plain", ModelKind.GruPlain)]
    [InlineData("transformer-copy", ModelKind.TransformerCopy)]
    public void Parse_ModelNames(string name, ModelKind expected)
    {
        Assert.Equal(expected, Options.Parse(["--model", name]).Model);
    }

    [Theory]
    [InlineData("--model", "lstm")]
    [InlineData("--steps", "0")]
    [InlineData("--steps", "ten")]
    [InlineData("--minutes", "-1")]
    [InlineData("--threads", "1.5")]
    [InlineData("--colour", "red")]
    public void Parse_BadArguments_Throw(string name, string value)
    {
        var error = Assert.Throws<FormatException>(() => Options.Parse([name, value]));
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingValue_Throws()
    {
        Assert.Throws<FormatException>(() => Options.Parse(["--steps"]));
    }
}
