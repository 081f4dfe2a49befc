using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace ModelDsl.Onnx;

/// <summary>
/// An ONNX graph under construction: the inputs, initializers (the model's weights, under their PyTorch state_dict names),
/// nodes and outputs of one inference graph. The generated <c>ToOnnx()</c> of a model calls it one layer at a time, naming
/// every value it produces; <see cref="OnnxFile"/> writes it. Values are referred to by name; a name is produced once.
/// Dynamic dimensions are named: <c>batch</c> and, per sequence input <c>x</c>, <c>x_length</c>.
/// </summary>
/// <remarks>
/// The building blocks (<see cref="Linear"/>, <see cref="Attention"/>, masks, pooling) are written with the ONNX
/// operators of opset <see cref="Opset"/>; they compute what ModelDsl's kernels compute, in float32.
/// </remarks>
public sealed partial class OnnxGraph
{
    /// <summary>The default-domain operator set the graph uses (LayerNormalization needs 17).</summary>
    public const long Opset = 17;

    /// <summary>The ONNX IR version written (IR 8 goes with opset 17).</summary>
    public const long IrVersion = 8;

    private readonly float[] _parameters;
    private readonly float[] _state;
    private readonly GraphProto _graph;
    private readonly HashSet<string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _initializers = new(StringComparer.Ordinal);
    private int _constants;

    /// <summary>Starts a graph over a model's parameter and state blocks (copied: later training does not change the graph).</summary>
    /// <param name="name">The graph's name (the model class).</param>
    /// <param name="parameters">The model's parameter block.</param>
    /// <param name="state">The model's state block (BatchNorm running statistics).</param>
    public OnnxGraph(string name, ReadOnlySpan<float> parameters, ReadOnlySpan<float> state)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _parameters = parameters.ToArray();
        _state = state.ToArray();
        _graph = new GraphProto { Name = name };
    }

    /// <summary>The graph's name.</summary>
    public string Name => _graph.Name;

    /// <summary>The names of the graph's inputs, in order.</summary>
    public IReadOnlyList<string> InputNames => Names(_graph.Input);

    /// <summary>The names of the graph's outputs, in order.</summary>
    public IReadOnlyList<string> OutputNames => Names(_graph.Output);

    /// <summary>Operators used by the nodes, in order of first use (for documentation and tests).</summary>
    public IReadOnlyList<string> Operators
    {
        get
        {
            var seen = new List<string>();
            foreach (NodeProto node in _graph.Node)
            {
                if (!seen.Contains(node.OpType))
                {
                    seen.Add(node.OpType);
                }
            }

            return seen;
        }
    }

    internal GraphProto Proto => _graph;

    /// <summary>The name of a sequence input's dynamic length dimension.</summary>
    public static string LengthDimension(string input) => input + "_length";

    // ---------------------------------------------------------------- inputs, outputs, weights

    /// <summary>A token-id input <c>int64 [batch, {name}_length]</c>.</summary>
    public string TokenInput(string name) => AddInput(name, TensorProto.Types.DataType.Int64, "batch", LengthDimension(name));

    /// <summary>A feature input, <c>float [batch, {name}_length, features]</c> when <paramref name="sequence"/>, else <c>float [batch, features]</c>.</summary>
    public string FeatureInput(string name, long features, bool sequence) => sequence
        ? AddInput(name, TensorProto.Types.DataType.Float, "batch", LengthDimension(name), features)
        : AddInput(name, TensorProto.Types.DataType.Float, "batch", features);

    /// <summary>The valid lengths of a sequence input, <c>int64 [batch]</c> named <c>{input}_lengths</c> (added on first use).</summary>
    public string Lengths(string input)
    {
        string name = input + "_lengths";
        return _values.Contains(name) ? name : AddInput(name, TensorProto.Types.DataType.Int64, "batch");
    }

    /// <summary>A graph-attention adjacency <c>bool [batch, T, T]</c> named <c>{input}_adjacency</c> (added on first use): true = may attend.</summary>
    public string Adjacency(string input)
    {
        string name = input + "_adjacency";
        string length = LengthDimension(input);
        return _values.Contains(name) ? name : AddInput(name, TensorProto.Types.DataType.Bool, "batch", length, length);
    }

    /// <summary>A float input of the given dimensions (a dimension is a <see cref="long"/> size or a <see cref="string"/> name).</summary>
    public string FloatInput(string name, params object[] dims) => AddInput(name, TensorProto.Types.DataType.Float, dims);

    /// <summary>An int64 input of the given dimensions.</summary>
    public string Int64Input(string name, params object[] dims) => AddInput(name, TensorProto.Types.DataType.Int64, dims);

    /// <summary>Declares <paramref name="value"/> a graph output under <paramref name="name"/> (an Identity node when the names differ).</summary>
    public string Output(string value, string name)
    {
        string output = value == name ? value : Node("Identity", name, [value]);
        _graph.Output.Add(new ValueInfoProto { Name = output, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        return output;
    }

    /// <summary>
    /// A parameter tensor as an initializer named <paramref name="name"/> (its state_dict name), read from the parameter block at
    /// <paramref name="offset"/>; a tied tensor passes its owner's name and is stored once.
    /// </summary>
    public string Param(string name, int offset, params long[] shape) => Initializer(name, _parameters, offset, shape);

    /// <summary>A state tensor (BatchNorm running statistics) as an initializer, read from the state block at <paramref name="offset"/>.</summary>
    public string State(string name, int offset, params long[] shape) => Initializer(name, _state, offset, shape);

    /// <summary>A float constant initializer named <paramref name="name"/>.</summary>
    public string Constant(string name, float[] values, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Initializer(name, values, 0, shape);
    }

    private string Initializer(string name, float[] block, int offset, long[] shape)
    {
        long count = 1;
        foreach (long dim in shape)
        {
            count *= dim;
        }

        string key = offset.ToString(CultureInfo.InvariantCulture) + ":" + string.Join(",", shape);
        if (_initializers.TryGetValue(name, out string? existing))
        {
            return existing == key ? name : throw new InvalidOperationException("ONNX initializer '" + name + "' was declared twice with different slices");
        }

        if (offset < 0 || offset + count > block.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), "ONNX initializer '" + name + "' [" + offset + ", +" + count + ") lies outside its block of " + block.Length + " floats");
        }

        Claim(name);
        _initializers.Add(name, key);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(shape);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(block.AsSpan(offset, (int)count)));
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>An int64 constant initializer (shapes, axes, indices), named after <paramref name="hint"/>.</summary>
    public string Ints(string hint, params long[] values)
    {
        string name = "const/" + hint + "/" + (_constants++).ToString(CultureInfo.InvariantCulture);
        Claim(name);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>A float scalar constant initializer, named after <paramref name="hint"/>.</summary>
    public string Scalar(string hint, float value)
    {
        string name = "const/" + hint + "/" + (_constants++).ToString(CultureInfo.InvariantCulture);
        Claim(name);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.FloatData.Add(value);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>An int64 scalar constant initializer, named after <paramref name="hint"/>.</summary>
    public string IntScalar(string hint, long value)
    {
        string name = "const/" + hint + "/" + (_constants++).ToString(CultureInfo.InvariantCulture);
        Claim(name);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Int64Data.Add(value);
        _graph.Initializer.Add(tensor);
        return name;
    }

    // ---------------------------------------------------------------- nodes

    /// <summary>
    /// Adds one node of operator <paramref name="op"/> producing <paramref name="output"/> from <paramref name="inputs"/> (an empty
    /// name skips an optional input); attributes are name/value pairs (long, float, string, long[]).
    /// </summary>
    public string Node(string op, string output, string[] inputs, params (string Name, object Value)[] attributes)
    {
        Nodes(op, [output], inputs, attributes);
        return output;
    }

    /// <summary>Adds one node with several outputs.</summary>
    public void Nodes(string op, string[] outputs, string[] inputs, params (string Name, object Value)[] attributes)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (string input in inputs)
        {
            if (input.Length > 0 && !_values.Contains(input))
            {
                throw new InvalidOperationException("ONNX node " + op + " -> " + outputs[0] + " reads '" + input + "', which nothing produced yet");
            }
        }

        foreach (string output in outputs)
        {
            Claim(output);
        }

        var node = new NodeProto { OpType = op, Name = outputs[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach ((string name, object value) in attributes)
        {
            node.Attribute.Add(Attribute(name, value));
        }

        _graph.Node.Add(node);
    }

    private static AttributeProto Attribute(string name, object value) => value switch
    {
        long i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
        int i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
        float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
        string s => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
        long[] ints => IntsAttribute(name, ints),
        _ => throw new ArgumentException("unsupported ONNX attribute value for '" + name + "': " + value.GetType().Name, nameof(value)),
    };

    private static AttributeProto IntsAttribute(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private string AddInput(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        Claim(name);
        var shape = new TensorShapeProto();
        foreach (object dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                long size => new TensorShapeProto.Types.Dimension { DimValue = size },
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                string param => new TensorShapeProto.Types.Dimension { DimParam = param },
                _ => throw new ArgumentException("a dimension is a size or a name", nameof(dims)),
            });
        }

        _graph.Input.Add(new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        });
        return name;
    }

    private void Claim(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_values.Add(name))
        {
            throw new InvalidOperationException("the ONNX graph " + _graph.Name + " already has a value named '" + name + "'");
        }
    }

    private static List<string> Names(IEnumerable<ValueInfoProto> values)
    {
        var names = new List<string>();
        foreach (ValueInfoProto value in values)
        {
            names.Add(value.Name);
        }

        return names;
    }
}
