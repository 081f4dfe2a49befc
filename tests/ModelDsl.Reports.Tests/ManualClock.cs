using System;

namespace ModelDsl.Reports.Tests;

/// <summary>A clock that moves only when told: timestamps in ticks of 100 ns.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _ticks = 1_000; // not 0: a timestamp of 0 must not look special to the code under test

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public void Advance(TimeSpan time) => _ticks += time.Ticks;
}
