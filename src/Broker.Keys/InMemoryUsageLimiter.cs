using System.Collections.Concurrent;

namespace Broker.Keys;

/// <summary>
/// Exact limits in one process: a sliding log (ring of the last N admission times) per key, so no 60-second
/// window ever holds more than N admissions, and a counter per UTC day; both under one lock per key, so
/// parallel requests never overshoot.
/// </summary>
public sealed class InMemoryUsageLimiter(TimeProvider time) : IUsageLimiter
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    public ValueTask<UsageDecision> TryAcquireAsync(string keyId, int? ratePerMinute, int? quotaPerDay, CancellationToken cancellationToken = default)
    {
        if (ratePerMinute is null && quotaPerDay is null)
        {
            return ValueTask.FromResult(UsageDecision.Allowed);
        }

        var state = _states.GetOrAdd(keyId, static _ => new State());
        var now = time.GetUtcNow();
        lock (state)
        {
            var day = now.UtcDateTime.Date;
            if (state.Day != day)
            {
                state.Day = day;
                state.UsedToday = 0;
            }

            if (quotaPerDay is { } quota && state.UsedToday >= quota)
            {
                return ValueTask.FromResult(new UsageDecision(UsageDecisionKind.QuotaExceeded, day.AddDays(1) - now.UtcDateTime));
            }

            if (ratePerMinute is { } rate)
            {
                if (state.Ring.Length != rate)
                {
                    state.Resize(rate);
                }

                if (state.Count == rate)
                {
                    var oldest = state.Ring[state.Next];
                    var age = now.UtcTicks - oldest;
                    if (age < Window.Ticks)
                    {
                        var wait = TimeSpan.FromTicks(Window.Ticks - age);
                        return ValueTask.FromResult(new UsageDecision(UsageDecisionKind.RateLimited, wait));
                    }
                }
                else
                {
                    state.Count++;
                }

                state.Ring[state.Next] = now.UtcTicks;
                state.Next = (state.Next + 1) % rate;
            }

            state.UsedToday++;
            return ValueTask.FromResult(UsageDecision.Allowed);
        }
    }

    private sealed class State
    {
        public long[] Ring { get; private set; } = [];

        public int Next { get; set; }

        public int Count { get; set; }

        public DateTime Day { get; set; }

        public int UsedToday { get; set; }

        public void Resize(int size)
        {
            // Keep the most recent admissions, oldest first, so a changed limit still counts the past minute.
            var recent = new List<long>(Count);
            for (var i = 0; i < Count; i++)
            {
                recent.Add(Ring[(Next - Count + i + Ring.Length) % Ring.Length]);
            }

            var keep = recent.Skip(Math.Max(0, recent.Count - size)).ToArray();
            Ring = new long[size];
            keep.CopyTo(Ring, 0);
            Count = keep.Length;
            Next = Count % size;
        }
    }
}
