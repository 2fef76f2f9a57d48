namespace Broker.Keys;

/// <summary>
/// A lease renewed by <see cref="KeyEventFollower"/>: fresh until <c>start + duration</c>, where <c>start</c> is
/// taken before the heartbeat and the read of the revocation log that renewed it. Lock-free on the hot path (one
/// volatile read and one timestamp).
/// </summary>
public sealed class KeyCacheLease(TimeProvider time, TimeSpan duration) : IKeyCacheLease
{
    private long _freshUntil = long.MinValue;

    public TimeSpan Duration => duration;

    public bool IsFresh => time.GetTimestamp() < Volatile.Read(ref _freshUntil);

    /// <summary>Extends the lease to <paramref name="readStartedTimestamp"/> + the duration (never shortens it).</summary>
    public void Renew(long readStartedTimestamp)
    {
        var until = readStartedTimestamp + (long)(duration.TotalSeconds * time.TimestampFrequency);
        long current;
        do
        {
            current = Volatile.Read(ref _freshUntil);
            if (until <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _freshUntil, until, current) != current);
    }

    /// <summary>Ends the lease now: every lookup reads the store until the next renewal.</summary>
    public void Expire() => Volatile.Write(ref _freshUntil, long.MinValue);
}
