using System;

namespace ModelDsl;

/// <summary>
/// Starts the member frozen: every trainer of the model begins with <c>trainer.Freeze(nameof(Member))</c> done, so <c>Step</c> leaves
/// the member's parameters and their optimizer state as they are (a pretrained encoder kept fixed while a new head trains).
/// <c>trainer.Unfreeze(nameof(Member))</c> trains it again. Written beside the layer attribute:
/// <c>[Freeze] [TransformerEncoder(...)] public partial TransformerEncoder Encoder { get; }</c>. On a member without parameters of
/// its own the generator warns (MDSL1030) and freezes nothing.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class FreezeAttribute : Attribute
{
}
