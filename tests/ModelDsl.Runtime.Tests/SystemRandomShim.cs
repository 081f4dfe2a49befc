namespace ModelDsl.Tests.Support;

/// <summary>
/// Stop-gap so Support/TestData.cs compiles: inside <c>namespace ModelDsl.Tests.Support</c> the bare name
/// <c>Random</c> binds to the namespace <c>ModelDsl.Random</c> (CS0118). This type sits closer in scope
/// and is <see cref="System.Random"/> itself. Delete it once TestData.cs says <c>System.Random</c>.
/// </summary>
internal sealed class Random(int seed) : System.Random(seed);
