namespace ModelDsl.Kernels;

/// <summary>The recurrent cell of a <see cref="RecurrentDecoder"/>; each has the PyTorch gate layout of its layer kernel.</summary>
public enum RecurrentDecoderCell
{
    /// <summary>Elman tanh RNN, as in <see cref="Rnn"/>: one gate block.</summary>
    Rnn,

    /// <summary>GRU, as in <see cref="Gru"/>: gate blocks <c>(r, z, n)</c>.</summary>
    Gru,

    /// <summary>LSTM, as in <see cref="Lstm"/>: gate blocks <c>(i, f, g, o)</c> and a memory cell beside the state.</summary>
    Lstm,
}
