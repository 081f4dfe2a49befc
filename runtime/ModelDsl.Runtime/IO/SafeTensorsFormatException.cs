using System;

namespace ModelDsl.IO;

/// <summary>A safetensors file breaks a rule of the format; the message says which rule and where.</summary>
public sealed class SafeTensorsFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SafeTensorsFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public SafeTensorsFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SafeTensorsFormatException()
    {
    }
}
