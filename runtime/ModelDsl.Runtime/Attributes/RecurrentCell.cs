namespace ModelDsl;

/// <summary>The cell of a recurrent layer, with PyTorch's gate layouts.</summary>
public enum RecurrentCell
{
    /// <summary>Elman RNN with tanh.</summary>
    Rnn,

    /// <summary>GRU, gates r, z, n.</summary>
    Gru,

    /// <summary>LSTM, gates i, f, g, o.</summary>
    Lstm,
}
