using ModelDsl.Generator.Emit;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Layers;

/// <summary>
/// [RecurrentDecoder]'s ONNX export (the descriptor's hooks call these): the teacher-forced forward unrolled over the declared target
/// length, the decoding step (state, and cell for LSTM, as <c>{path}.past_state</c>/<c>present_state</c>) and, in the encoder graph, what the
/// step reads once per source: <c>{path}.initial_state</c> (<c>initial_cell</c>), <c>{path}.memory</c> and <c>{path}.memory_projection</c>.
/// </summary>
internal static class RecurrentDecoderOnnx
{
    private const string Weights = "global::ModelDsl.Onnx.RecurrentDecoderWeights";

    /// <summary>The forward over the whole target: <c>OnnxGraph.RecurrentDecoder</c> from the encoder's final state.</summary>
    public static OnnxFlow Forward(OnnxContext c, LayerPlan layer, string title)
    {
        OnnxFlow from = c.SourceOf(layer);
        RecurrentDecoderOptions o = layer.OptionsOf<RecurrentDecoderOptions>();
        OnnxFlow memory = c.FlowOf(o.Memory!);
        string Q(string suffix) => OnnxContext.Quote(layer.Path + suffix);
        c.Line(title + ": unrolled over the declared " + Literals.Int(layer.Input.Dims[1].Size) + " target positions");
        c.Writer.Open();
        WriteWeights(c, layer);
        c.Line("string initial = g.RecurrentDecoderInitialState(" + Q("/initial_state") + ", " + OnnxContext.Quote(memory.Final!) + ",");
        c.Writer.Indent();
        WriteBridge(c, layer, ");");
        c.Writer.Unindent();
        bool attention = o.Attention != RecurrentDecoderLayer.NoAttention;
        c.Line("g.RecurrentDecoder(" + Q(string.Empty) + ", " + OnnxContext.Quote(from.Value) + ", " + OnnxContext.Lengths(from.Sequence!) + ", "
            + Literals.Int(layer.Input.Dims[1].Size) + "L, initial,");
        c.Writer.Indent();
        c.Line((attention ? OnnxContext.Quote(memory.Value) + ", " + OnnxContext.Lengths(memory.Sequence!) : "null, null") + ", weights);");
        c.Writer.Unindent();
        c.Writer.Close();
        return new OnnxFlow(layer.Path, from.Sequence, layer.Output.Last.Size);
    }

    /// <summary>One position: inputs <c>{path}.past_state</c> (<c>past_cell</c>), the memory, its projection and the source lengths.</summary>
    public static OnnxFlow Step(OnnxContext c, LayerPlan layer, string title)
    {
        OnnxFlow from = c.SourceOf(layer);
        RecurrentDecoderOptions o = layer.OptionsOf<RecurrentDecoderOptions>();
        OnnxFlow memory = c.FlowOf(o.Memory!);
        string Q(string suffix) => OnnxContext.Quote(layer.Path + suffix);
        bool lstm = o.Cell == RecurrentCells.Lstm;
        bool attention = o.Attention != RecurrentDecoderLayer.NoAttention;
        bool projects = o.Attention is RecurrentDecoderLayer.Bahdanau or RecurrentDecoderLayer.LuongGeneral;
        string h = Literals.Int(o.Hidden) + "L";
        c.Line(title + ": one position from each row's state" + (attention ? ", attending over the encoder states" : string.Empty));
        c.Writer.Open();
        WriteWeights(c, layer, memoryWeight: false); // the step reads the projection the encoder graph computed
        c.Line("g.FloatInput(" + Q(".past_state") + ", \"batch\", " + h + ");");
        if (lstm)
        {
            c.Line("g.FloatInput(" + Q(".past_cell") + ", \"batch\", " + h + ");");
        }

        if (attention)
        {
            string length = "global::ModelDsl.Onnx.OnnxGraph.LengthDimension(" + OnnxContext.Quote(memory.Sequence!) + ")";
            c.Line("g.FloatInput(" + Q(".memory") + ", \"batch\", " + length + ", " + Literals.Int(memory.Width) + "L);");
            if (projects)
            {
                long width = o.Attention == RecurrentDecoderLayer.Bahdanau ? o.AttentionSize : o.Hidden;
                c.Line("g.FloatInput(" + Q(".memory_projection") + ", \"batch\", " + length + ", " + Literals.Int(width) + "L);");
            }

            c.Line("g.SourceMask(" + Q("/source_mask") + ", " + Q(".memory") + ", " + OnnxContext.Lengths(memory.Sequence!) + ");");
        }

        c.Line("g.RecurrentDecoderPosition(" + Q(string.Empty) + ", " + OnnxContext.Quote(from.Value) + ", " + Q(".past_state") + ", " + (lstm ? Q(".past_cell") : "null") + ",");
        c.Writer.Indent();
        c.Line((attention ? Q(".memory") : "null") + ", " + (projects ? Q(".memory_projection") : "null") + ", " + (attention ? Q("/source_mask") : "null") + ", weights,");
        c.Line(Q(".present_state") + ", " + (lstm ? Q(".present_cell") : "null") + ");");
        c.Writer.Unindent();
        c.Writer.Close();
        return new OnnxFlow(layer.Path, from.Sequence, layer.Output.Last.Size);
    }

    /// <summary>In the encoder graph: the initial state (and zero cell), the memory and its projection, as the step's inputs.</summary>
    public static void MemoryCaches(OnnxContext c, LayerPlan layer)
    {
        RecurrentDecoderOptions o = layer.OptionsOf<RecurrentDecoderOptions>();
        OnnxFlow memory = c.FlowOf(o.Memory!);
        string Q(string suffix) => OnnxContext.Quote(layer.Path + suffix);
        c.Line("// " + layer.Name + ": its initial state from " + o.Memory + "'s final state" + (o.Attention != RecurrentDecoderLayer.NoAttention ? ", the memory it attends to" : string.Empty));
        c.Line("g.Output(g.RecurrentDecoderInitialState(" + Q("/initial_state") + ", " + OnnxContext.Quote(memory.Final!) + ",");
        c.Writer.Indent();
        WriteBridge(c, layer, "), " + Q(".initial_state") + ");");
        c.Writer.Unindent();
        if (o.Cell == RecurrentCells.Lstm)
        {
            c.Line("g.Output(g.ZerosLike(" + Q("/initial_cell") + ", " + Q("/initial_state") + "), " + Q(".initial_cell") + ");");
        }

        if (o.Attention != RecurrentDecoderLayer.NoAttention)
        {
            c.Line("g.Output(" + OnnxContext.Quote(memory.Value) + ", " + Q(".memory") + ");");
        }

        if (o.Attention is RecurrentDecoderLayer.Bahdanau or RecurrentDecoderLayer.LuongGeneral)
        {
            c.Line("g.Output(g.Linear(" + Q("/memory_projection") + ", " + OnnxContext.Quote(memory.Value) + ",");
            c.Writer.Indent();
            c.Line(OnnxContext.ParamOf(layer, layer.Path + ".attention.memory_weight") + ", null), " + Q(".memory_projection") + ");");
            c.Writer.Unindent();
        }
    }

    /// <summary>The bridge's weight and bias arguments (or nulls), then <paramref name="end"/>.</summary>
    private static void WriteBridge(OnnxContext c, LayerPlan layer, string end)
    {
        if (OnnxContext.FindParameter(layer, layer.Path + ".bridge.weight") is { } weight)
        {
            c.Line(OnnxContext.Param(weight) + ",");
            c.Line(OnnxContext.ParamOf(layer, layer.Path + ".bridge.bias") + end);
        }
        else
        {
            c.Line("null, null" + end);
        }
    }

    /// <summary>The local <c>weights</c>: the layer's <c>RecurrentDecoderWeights</c> (cell and attention initializers; the memory's without <paramref name="memoryWeight"/>).</summary>
    private static void WriteWeights(OnnxContext c, LayerPlan layer, bool memoryWeight = true)
    {
        RecurrentDecoderOptions o = layer.OptionsOf<RecurrentDecoderOptions>();
        string P(string suffix) => OnnxContext.ParamOf(layer, layer.Path + suffix);
        c.Line("var weights = new " + Weights + "(" + Literals.Int(o.Cell) + ", " + Literals.Int(o.Attention) + ", " + Literals.Int(o.Hidden) + "L,");
        c.Writer.Indent();
        c.Line(P(".weight_ih") + ",");
        c.Line(P(".weight_hh") + ",");
        c.Line(P(".bias_ih") + ",");
        bool any = o.Attention != RecurrentDecoderLayer.NoAttention;
        c.Line(P(".bias_hh") + ")" + (any ? string.Empty : ";"));
        c.Writer.Unindent();
        if (!any)
        {
            return;
        }

        c.Writer.Open();
        if (o.Attention == RecurrentDecoderLayer.Bahdanau)
        {
            c.Line("StateWeight = " + P(".attention.state_weight") + ",");
            c.Line("Score = " + P(".attention.score") + ",");
        }

        if (memoryWeight && o.Attention is RecurrentDecoderLayer.Bahdanau or RecurrentDecoderLayer.LuongGeneral)
        {
            c.Line("MemoryWeight = " + P(".attention.memory_weight") + ",");
        }

        if (o.Attention is RecurrentDecoderLayer.LuongDot or RecurrentDecoderLayer.LuongGeneral)
        {
            c.Line("CombineWeight = " + P(".attention.combine_weight") + ",");
        }

        c.Writer.Close(";");
    }
}
