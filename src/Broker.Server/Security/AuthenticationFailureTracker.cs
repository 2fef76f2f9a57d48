using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Broker.Server.Security;

/// <summary>
/// Failed authentications per client address, in fixed windows: a budget of store lookups that may fail (beyond it,
/// keys the cache does not know as valid are refused with 429 before any lookup), and the counts that replace one
/// audit record per failure by one summary per address and window. Memory is bounded: at most
/// <see cref="AuthenticationFailureOptions.MaxTrackedClients"/> addresses (then one shared overflow entry), and
/// <see cref="Collect"/> forgets every address whose window ended. Never sees a key, only addresses.
/// </summary>
public sealed class AuthenticationFailureTracker(IOptions<AuthenticationFailureOptions> options, TimeProvider time)
{
    /// <summary>Where addresses beyond <see cref="AuthenticationFailureOptions.MaxTrackedClients"/> are counted together.</summary>
    public const string OverflowClient = "overflow";

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<AuthenticationFailureSummary> _ended = new();
    private readonly SemaphoreSlim _endedSignal = new(0, 1);
    private int _tracked;

    public int TrackedClients => Volatile.Read(ref _tracked);

    private AuthenticationFailureOptions Options => options.Value;

    /// <summary>
    /// The address failures are counted under: the connection's remote address (forwarded headers count only when
    /// the host is configured to apply them), an IPv4-mapped address as IPv4, and an IPv6 address as its /64, since
    /// one client usually holds a whole /64.
    /// </summary>
    public static string ClientOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address))
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    /// <summary>
    /// Before a store lookup for a key the cache does not know as valid: reserves one failure of the client's budget
    /// (given back by <see cref="ReleaseLookup"/> if the key turns out valid), or refuses when the budget is spent.
    /// </summary>
    public bool TryReserveLookup(string client, out long reservation, out TimeSpan retryAfter)
    {
        var budget = Options.FailureBudget;
        while (true)
        {
            var bucket = BucketOf(client);
            lock (bucket)
            {
                if (bucket.Removed)
                {
                    continue;
                }

                var now = time.GetUtcNow();
                Roll(bucket, now);
                if (bucket.Failures >= budget)
                {
                    bucket.Throttled++;
                    reservation = 0;
                    retryAfter = bucket.WindowStart + Options.Window - now;
                    return false;
                }

                bucket.Failures++;
                reservation = bucket.WindowStart.UtcTicks;
                retryAfter = TimeSpan.Zero;
                return true;
            }
        }
    }

    /// <summary>The lookup found a valid key: its reservation does not count as a failure.</summary>
    public void ReleaseLookup(string client, long reservation)
    {
        if (_buckets.TryGetValue(client, out var bucket) || _buckets.TryGetValue(OverflowClient, out bucket))
        {
            lock (bucket)
            {
                if (!bucket.Removed && bucket.WindowStart.UtcTicks == reservation && bucket.Failures > 0)
                {
                    bucket.Failures--;
                }
            }
        }
    }

    /// <summary>
    /// Counts a refused authentication (with the reservation of its store lookup, if it had one). Returns true for the
    /// first of the client's window, which the caller audits on its own; the others go into the window's summary.
    /// </summary>
    public bool CountFailure(string client, long? reservation)
    {
        while (true)
        {
            var bucket = BucketOf(client);
            lock (bucket)
            {
                if (bucket.Removed)
                {
                    continue;
                }

                Roll(bucket, time.GetUtcNow());
                if (reservation != bucket.WindowStart.UtcTicks)
                {
                    bucket.Failures++;
                }

                if (!bucket.FirstRecorded)
                {
                    bucket.FirstRecorded = true;
                    return true;
                }

                bucket.Summarized++;
                return false;
            }
        }
    }

    /// <summary>Completes when a request started a new window of an address whose ended window has a summary to write.</summary>
    public Task WaitForEndedAsync(CancellationToken cancellationToken) => _endedSignal.WaitAsync(cancellationToken);

    /// <summary>
    /// The summaries of windows that requests found ended; with <paramref name="sweep"/> also of every other ended
    /// window, forgetting those addresses (bounded memory); with <paramref name="all"/> of current windows too (at
    /// shutdown).
    /// </summary>
    public IReadOnlyList<AuthenticationFailureSummary> Collect(bool sweep = true, bool all = false)
    {
        var summaries = new List<AuthenticationFailureSummary>();
        while (_ended.TryDequeue(out var ended))
        {
            summaries.Add(ended);
        }

        if (!sweep && !all)
        {
            return summaries;
        }

        var now = time.GetUtcNow();
        foreach (var (client, bucket) in _buckets)
        {
            lock (bucket)
            {
                var over = now >= bucket.WindowStart + Options.Window;
                if (over || all)
                {
                    if (Summary(client, bucket) is { } summary)
                    {
                        summaries.Add(summary);
                    }

                    bucket.Summarized = 0;
                    bucket.Throttled = 0;
                }

                if (over)
                {
                    bucket.Removed = true;
                    if (_buckets.TryRemove(KeyValuePair.Create(client, bucket)))
                    {
                        Interlocked.Decrement(ref _tracked);
                    }
                }
            }
        }

        return summaries;
    }

    private Bucket BucketOf(string client)
    {
        while (true)
        {
            if (_buckets.TryGetValue(client, out var bucket))
            {
                return bucket;
            }

            if (Volatile.Read(ref _tracked) >= Math.Max(1, Options.MaxTrackedClients) && client != OverflowClient)
            {
                client = OverflowClient;
                continue;
            }

            var fresh = new Bucket(client, time.GetUtcNow());
            if (_buckets.TryAdd(client, fresh))
            {
                Interlocked.Increment(ref _tracked);
                return fresh;
            }
        }
    }

    /// <summary>Starts a new window when the current one ended, keeping the ended one's summary for <see cref="Collect"/>.</summary>
    private void Roll(Bucket bucket, DateTimeOffset now)
    {
        if (now < bucket.WindowStart + Options.Window)
        {
            return;
        }

        if (Summary(bucket.Client, bucket) is { } summary)
        {
            _ended.Enqueue(summary);
            try
            {
                _endedSignal.Release();
            }
            catch (SemaphoreFullException)
            {
                // The writer is already asked to come.
            }
        }

        bucket.WindowStart = now;
        bucket.Failures = 0;
        bucket.FirstRecorded = false;
        bucket.Summarized = 0;
        bucket.Throttled = 0;
    }

    private static AuthenticationFailureSummary? Summary(string client, Bucket bucket) =>
        bucket.Summarized + bucket.Throttled == 0 ? null : new AuthenticationFailureSummary(client, bucket.WindowStart, bucket.Summarized + bucket.Throttled, bucket.Throttled);

    private sealed class Bucket(string client, DateTimeOffset windowStart)
    {
        public string Client { get; } = client;

        public DateTimeOffset WindowStart { get; set; } = windowStart;

        /// <summary>Failures counted against the budget, including lookups still in flight.</summary>
        public int Failures { get; set; }

        public bool FirstRecorded { get; set; }

        public long Summarized { get; set; }

        public long Throttled { get; set; }

        public bool Removed { get; set; }
    }
}
