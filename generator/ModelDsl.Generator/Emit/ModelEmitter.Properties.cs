using ModelDsl.Generator.Planning;

namespace ModelDsl.Generator.Emit;

/// <summary>The declared layer properties, implemented as cached handles over the planned layer.</summary>
internal sealed partial class ModelEmitter
{
    private void WriteProperties(SourceWriter writer)
    {
        writer.Line("// Layer properties: each returns a handle with the layer's planned shapes and parameter views.");
        bool first = true;
        foreach (PropertyPlan property in _plan.Properties)
        {
            if (!first)
            {
                writer.Line();
            }

            first = false;
            if (property.LayerIndex < 0)
            {
                writer.Line(Modifiers(property) + "partial " + property.Type + " " + Identifiers.Escape(property.Name));
                writer.Indent().Line("=> throw new global::System.InvalidOperationException(" + Literals.String(property.Name + " is not a layer of " + _plan.ClassName + ".") + ");").Unindent();
                continue;
            }

            LayerPlan layer = _plan.Layers[property.LayerIndex];
            string field = "__" + layer.Path;
            string handle = "global::ModelDsl." + layer.HandleType;
            writer.Line("private " + handle + "? " + field + ";");
            writer.Line();
            writer.Line("// " + layer.Name + ": " + layer.Input.Compact + " -> " + layer.Output.Compact + ", " + Literals.Count(layer.ParameterCount) + " parameters");
            writer.Line(Modifiers(property) + "partial " + property.Type + " " + Identifiers.Escape(property.Name));
            writer.Indent().Line("=> " + field + " ??= new " + handle + "(__layerTable[" + Literals.Int(property.LayerIndex) + "], __parameters);").Unindent();
        }
    }
}
