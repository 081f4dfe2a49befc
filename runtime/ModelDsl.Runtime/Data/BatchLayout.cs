using System;
using System.Collections.Generic;
using System.Globalization;

namespace ModelDsl.Data;

/// <summary>
/// The shapes of a generated <c>Batch</c>'s buffers, as code that does not know the model sees them: the inputs in
/// declaration order, then the target. Every generated <c>Batch</c> gives its layout through
/// <see cref="Training.IBatchRows.Layout"/>.
/// </summary>
/// <param name="Model">The model's name, for messages.</param>
/// <param name="Inputs">The inputs, in declaration order (the index the row setters take).</param>
/// <param name="Target">The target, or null for a model without a loss.</param>
public sealed record BatchLayout(string Model, IReadOnlyList<BatchInput> Inputs, BatchTarget? Target)
{
    /// <summary>The index of the input named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No input has that name (the message lists them).</exception>
    public int IndexOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (int i = 0; i < Inputs.Count; i++)
        {
            if (string.Equals(Inputs[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new ArgumentException($"{Model}.Batch has no input named '{name}'; its inputs are {Names()}.", nameof(name));
    }

    /// <summary>The index of the only token input, or of the <paramref name="ordinal"/>-th one.</summary>
    /// <exception cref="ArgumentException">There is no such token input.</exception>
    public int TokenInput(int ordinal = 0)
    {
        int seen = 0;
        for (int i = 0; i < Inputs.Count; i++)
        {
            if (Inputs[i].Tokens && seen++ == ordinal)
            {
                return i;
            }
        }

        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"{Model}.Batch has {seen} token input(s), so no token input number {ordinal}; its inputs are {Names()}."), nameof(ordinal));
    }

    /// <summary>The target, or an exception saying the model has none.</summary>
    /// <exception cref="InvalidOperationException">The model has no loss, so its batch has no target.</exception>
    public BatchTarget RequireTarget() =>
        Target ?? throw new InvalidOperationException($"{Model}.Batch has no target: the model declares no loss.");

    private string Names()
    {
        var names = new string[Inputs.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = Inputs[i].Name + (Inputs[i].Tokens ? " (tokens)" : " (features)");
        }

        return string.Join(", ", names);
    }
}

/// <summary>One input of a generated <c>Batch</c>.</summary>
/// <param name="Name">The input's name (its property and <c>Set</c> method).</param>
/// <param name="Tokens">True for token ids, false for float features.</param>
/// <param name="MaxLength">Positions per row at most; 0 for a dense (non-sequence) feature input.</param>
/// <param name="Vocab">Token ids are in <c>[0, Vocab)</c>; 0 when unchecked or for features.</param>
/// <param name="Features">Values per position (features); 0 for tokens.</param>
/// <param name="PadId">The id that fills token positions past a row's length.</param>
public sealed record BatchInput(string Name, bool Tokens, int MaxLength, int Vocab, int Features, int PadId);

/// <summary>What a generated <c>Batch</c>'s target holds.</summary>
public enum BatchTargetKind
{
    /// <summary>One class label per row (a pooled cross-entropy head).</summary>
    Class,

    /// <summary>One class label per position (a per-position cross-entropy head: tagging, language models, seq2seq).</summary>
    ClassPerPosition,

    /// <summary>Regression values per row.</summary>
    Values,

    /// <summary>Regression values per position.</summary>
    ValuesPerPosition,
}

/// <summary>The target of a generated <c>Batch</c>.</summary>
/// <param name="Kind">Labels or values, per row or per position.</param>
/// <param name="Width">Classes (labels) or values per row or position.</param>
/// <param name="MaxLength">Positions per row at most (per-position targets), else 0.</param>
/// <param name="IgnoreIndex">The label that takes no part in the loss (labels only).</param>
/// <param name="Source">The input a per-position target follows (its rows must be as long), or null.</param>
public sealed record BatchTarget(BatchTargetKind Kind, int Width, int MaxLength, int IgnoreIndex, string? Source)
{
    /// <summary>Whether the target holds class labels (cross-entropy).</summary>
    public bool IsClass => Kind is BatchTargetKind.Class or BatchTargetKind.ClassPerPosition;

    /// <summary>Whether the target has one entry per position.</summary>
    public bool PerPosition => Kind is BatchTargetKind.ClassPerPosition or BatchTargetKind.ValuesPerPosition;
}

/// <summary>The errors of the generic row setters of generated batches. Not meant to be called by user code.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class BatchRowErrors
{
    /// <summary>A generic setter called for an input of the wrong kind, or an index out of range.</summary>
    /// <param name="layout">The batch's layout.</param>
    /// <param name="input">The index given.</param>
    /// <param name="tokens">True when token ids were given, false for features.</param>
    public static ArgumentException WrongInput(BatchLayout layout, int input, bool tokens)
    {
        ArgumentNullException.ThrowIfNull(layout);
        string wanted = tokens ? "a token input (SetTokens)" : "a feature input (SetFeatures)";
        string message = (uint)input < (uint)layout.Inputs.Count
            ? string.Create(CultureInfo.InvariantCulture, $"{layout.Model}.Batch: input {input} ({layout.Inputs[input].Name}) is not {wanted}.")
            : string.Create(CultureInfo.InvariantCulture, $"{layout.Model}.Batch: input {input} does not exist; the batch has {layout.Inputs.Count} input(s).");
        return new ArgumentException(message, nameof(input));
    }

    /// <summary>A generic target setter or getter that does not fit the batch's target.</summary>
    /// <param name="layout">The batch's layout.</param>
    /// <param name="member">The member called, e.g. <c>SetLabel</c>.</param>
    public static InvalidOperationException WrongTarget(BatchLayout layout, string member)
    {
        ArgumentNullException.ThrowIfNull(layout);
        string has = layout.Target is { } target ? "a target of kind " + target.Kind : "no target (no loss)";
        return new InvalidOperationException($"{layout.Model}.Batch: {member} does not fit this batch, which has {has}.");
    }
}
