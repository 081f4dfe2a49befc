namespace ModelDsl.Tests.Support;

/// <summary>
/// Workaround: inside <c>namespace ModelDsl.Tests.Support</c> the name <c>Random</c> binds to the
/// runtime's <c>ModelDsl.Random</c> namespace, so <c>TestData</c> (shared, not edited here) fails with
/// CS0118. This type, found first by name lookup, restores <c>System.Random</c> there. Delete it once
/// <c>TestData</c> says <c>System.Random</c>.
/// </summary>
internal sealed class Random : System.Random
{
    public Random(int seed)
        : base(seed)
    {
    }
}
