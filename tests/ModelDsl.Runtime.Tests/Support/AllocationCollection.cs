namespace ModelDsl.Tests.Support;

/// <summary>
/// Tests that count allocated bytes join this collection: <c>GC.GetTotalAllocatedBytes</c> counts
/// every thread in the process, so these tests must not run beside other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    /// <summary>The collection's name, for <c>[Collection(AllocationCollection.Name)]</c>.</summary>
    public const string Name = "Allocation counting";
}
