using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Broker.Credentials;

/// <summary>Caps concurrent long-polls per key, so one key cannot hold the broker's waiters, and in all, so memory stays bounded.</summary>
public sealed class LongPollLimiter(IOptions<AgentFeedOptions> options)
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private int _total;

    public int Waiting => Volatile.Read(ref _total);

    public bool TryEnter(string keyId)
    {
        var max = options.Value.MaxLongPollsPerKey;
        if (Interlocked.Increment(ref _total) > options.Value.MaxLongPolls)
        {
            Interlocked.Decrement(ref _total);
            return false;
        }

        while (true)
        {
            var current = _counts.GetOrAdd(keyId, 0);
            if (current >= max)
            {
                Interlocked.Decrement(ref _total);
                return false;
            }

            if (_counts.TryUpdate(keyId, current + 1, current))
            {
                return true;
            }
        }
    }

    public void Exit(string keyId)
    {
        _counts.AddOrUpdate(keyId, 0, (_, c) => Math.Max(0, c - 1));
        Interlocked.Decrement(ref _total);
    }
}
