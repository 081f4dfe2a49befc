namespace ModelDsl.Generator.Layers;

/// <summary>The DSL's <c>RecurrentCell</c> values (Rnn 0, Gru 1, Lstm 2; Gru is the default) as the recurrent layers read them.</summary>
internal static class RecurrentCells
{
    public const int Rnn = 0;
    public const int Gru = 1;
    public const int Lstm = 2;

    /// <summary>Gates per cell: the rows of <c>weight_ih</c> are <c>gates × Hidden</c>.</summary>
    public static long Gates(long cell) => cell switch
    {
        Rnn => 1,
        Lstm => 4,
        _ => 3,
    };

    /// <summary>The summary's name of a cell.</summary>
    public static string Name(long cell) => cell switch
    {
        Rnn => "RNN",
        Lstm => "LSTM",
        _ => "GRU",
    };

    /// <summary>The runtime's kernel class (<c>Rnn</c>, <c>Gru</c>, <c>Lstm</c>) and <c>RecurrentDecoderCell</c> member.</summary>
    public static string Kernel(long cell) => cell == Rnn ? "Rnn" : cell == Lstm ? "Lstm" : "Gru";
}
