using System.Collections.Generic;
using System.Threading;
using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>
/// The decoding graphs of an autoregressive model (one with a StepDecoder): <c>ToOnnxEncoder()</c> runs the layers that do not
/// read the decoded input once per source batch and outputs what the step reads from them (each cross-attention's memory keys
/// and values); <c>ToOnnxStep()</c> runs the decoded chain for one new position per row, with its key/value caches as inputs
/// (past) and outputs (present), and outputs that position's logits.
/// </summary>
internal static partial class OnnxEmitter
{
    private static void WriteDecoding(SourceWriter writer, ModelPlan plan, CancellationToken cancellationToken)
    {
        if (TrainingSupport.Unsupported(plan) is not null || DecodingPlan.Create(plan, TrainingEmitter.Create(plan)) is not { } decoding)
        {
            return;
        }

        var chain = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (LayerPlan layer in decoding.Chain)
        {
            chain.Add(layer.Name);
        }

        var reasons = new List<string>();
        foreach (LayerPlan layer in plan.Layers)
        {
            string? reason = chain.Contains(layer.Name) ? layer.Descriptor.OnnxStepUnsupported(layer) : layer.Descriptor.OnnxUnsupported(layer);
            if (reason is not null)
            {
                reasons.Add(layer.Name + " ([" + layer.Descriptor.AttributeName + "]): " + reason);
            }
        }

        string? unsupported = reasons.Count == 0 ? null : string.Join("; ", reasons);
        string target = PathOf(plan, decoding.Target.Input.Name);
        bool encoder = decoding.MemorySequence is not null;
        if (encoder)
        {
            writer.Line();
            writer.Line("/// <summary>Writes <see cref=\"ToOnnxEncoder\"/> as an ONNX file (opset 17), atomically.</summary>");
            writer.Line("/// <param name=\"path\">The .onnx file to write (replaced if it exists).</param>");
            writer.Line("public void WriteOnnxEncoder(string path) => global::ModelDsl.Onnx.OnnxFile.Write(ToOnnxEncoder(), path);");
            writer.Line();
            writer.Line("/// <summary>");
            writer.Line("/// The encoder of greedy or beam decoding as an ONNX graph: the layers that do not read <c>" + target + "</c>, run once per source");
            writer.Line("/// batch; outputs each cross-attention layer's memory keys and values <c>{layer}.memory_key</c>, <c>{layer}.memory_value</c>");
            writer.Line("/// (<c>[batch, source_length, D]</c>), which <see cref=\"ToOnnxStep\"/> reads.");
            writer.Line("/// </summary>");
            if (!Body(writer, plan, "ToOnnxEncoder", "Encoder", unsupported))
            {
                var context = new OnnxContext(plan, writer);
                foreach (LayerPlan layer in plan.Layers)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!chain.Contains(layer.Name) && layer.Name != decoding.Target.Input.Name)
                    {
                        context.SetFlow(layer.Name, layer.Descriptor.EmitOnnx(context, layer, Title(layer)));
                    }
                }

                foreach (LayerPlan layer in decoding.Chain)
                {
                    layer.Descriptor.EmitOnnxMemoryCaches(context, layer);
                }

                writer.Line("return g;");
                writer.Close();
            }
        }

        writer.Line();
        writer.Line("/// <summary>Writes <see cref=\"ToOnnxStep\"/> as an ONNX file (opset 17), atomically.</summary>");
        writer.Line("/// <param name=\"path\">The .onnx file to write (replaced if it exists).</param>");
        writer.Line("public void WriteOnnxStep(string path) => global::ModelDsl.Onnx.OnnxFile.Write(ToOnnxStep(), path);");
        writer.Line();
        writer.Line("/// <summary>");
        writer.Line("/// One decoding step as an ONNX graph: inputs <c>" + target + "</c> (int64 <c>[batch, 1]</c>, each row's latest token),");
        writer.Line("/// <c>position</c> (int64 <c>[1]</c>, 0 for the start token), each layer's <c>past_key</c>/<c>past_value</c> caches <c>[batch, past_length, D]</c>"
            + (encoder ? " and the encoder's outputs with the source lengths" : string.Empty) + "; outputs <c>logits</c> <c>[batch, 1, vocabulary]</c> and the");
        writer.Line("/// caches extended by this position, <c>present_key</c>/<c>present_value</c> (the next step's past; empty at step 0).");
        writer.Line("/// </summary>");
        if (!Body(writer, plan, "ToOnnxStep", "Step", unsupported))
        {
            writer.Line("g.Int64Input(" + Literals.String(target) + ", \"batch\", 1L);");
            writer.Line("g.Int64Input(" + Literals.String(OnnxContext.Position) + ", 1L);");
            var context = new OnnxContext(plan, writer);
            context.SetFlow(decoding.Target.Input.Name, new OnnxFlow(target, target, 0));
            foreach (LayerPlan layer in decoding.Chain)
            {
                if (layer.Descriptor.DecodeMemory(layer) is { } memory && decoding.MemorySequence is { } source)
                {
                    LayerPlan memoryLayer = LayerNamed(plan, memory);
                    context.SetFlow(memory, new OnnxFlow(memoryLayer.Path, PathOf(plan, source.Input.Name), memoryLayer.Output.Last.Size));
                }
            }

            OnnxFlow? last = null;
            foreach (LayerPlan layer in decoding.Chain)
            {
                cancellationToken.ThrowIfCancellationRequested();
                last = layer.Descriptor.EmitOnnxStep(context, layer, Title(layer));
                context.SetFlow(layer.Name, last);
            }

            writer.Line("g.Output(" + Literals.String(last!.Value) + ", " + Literals.String(OutputName(plan)) + ");");
            writer.Line("return g;");
            writer.Close();
        }
    }

    /// <summary>Writes a throwing method when <paramref name="unsupported"/> (returns true), else opens the method and its graph <c>g</c>.</summary>
    private static bool Body(SourceWriter writer, ModelPlan plan, string method, string suffix, string? unsupported)
    {
        string graph = "global::ModelDsl.Onnx.OnnxGraph";
        if (unsupported is not null)
        {
            writer.Line("/// <exception cref=\"global::System.NotSupportedException\">Always: " + Literals.Xml(unsupported) + ".</exception>");
            WriteThrow(writer, "public " + graph + " " + method + "()", plan.ClassName + " cannot be exported to ONNX for decoding yet: ", unsupported);
            return true;
        }

        writer.Open("public " + graph + " " + method + "()");
        writer.Line("var g = new " + graph + "(" + Literals.String(plan.ClassName + suffix) + ", __parameters.Span, __state.Span);");
        return false;
    }

    private static string Title(LayerPlan layer) =>
        "// " + layer.Name + " (" + layer.Descriptor.AttributeName + "): " + layer.Input.Named + " -> " + layer.Output.Named;

    private static LayerPlan LayerNamed(ModelPlan plan, string name)
    {
        foreach (LayerPlan layer in plan.Layers)
        {
            if (layer.Name == name)
            {
                return layer;
            }
        }

        throw new System.InvalidOperationException("no planned layer is called " + name);
    }

    private static string PathOf(ModelPlan plan, string name) => LayerNamed(plan, name).Path;
}
