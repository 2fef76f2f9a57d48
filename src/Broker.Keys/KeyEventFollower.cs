using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Keys;

/// <summary>
/// The revocation follower of one replica: every <see cref="KeyLeaseOptions.PollInterval"/> (or at once when
/// <see cref="Wake"/> is called, e.g. by a database notification) it records a heartbeat, reads the key events after
/// its last sequence, invalidates those keys in the cache, and only then renews the lease from the time taken
/// before the heartbeat and acknowledges the events. A failed round leaves the lease to run out, after which every
/// lookup reads the store (which fails closed when it is down).
/// </summary>
public sealed partial class KeyEventFollower(
    IKeyStore store,
    KeyAuthenticator authenticator,
    KeyCacheLease lease,
    IReplicaHeartbeat heartbeat,
    KeyLeaseOptions options,
    TimeProvider time,
    ILogger<KeyEventFollower>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private long _sequence = -1;
    private bool _failing;

    /// <summary>The last key event applied to the cache.</summary>
    public long Sequence => Interlocked.Read(ref _sequence);

    /// <summary>Asks for a round now (a notification arrived).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A round is already asked for.
        }
    }

    /// <summary>Forgets everything cached (notifications may have been lost) and asks for a round now.</summary>
    public void Reset()
    {
        authenticator.InvalidateAll();
        Wake();
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await PollOnceAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _wake.WaitAsync(options.PollInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One round; returns whether it renewed the lease.</summary>
    public async Task<bool> PollOnceAsync(CancellationToken cancellationToken = default)
    {
        var started = time.GetTimestamp();
        try
        {
            var since = Interlocked.Read(ref _sequence);
            if (since < 0)
            {
                // First round: nothing is cached yet, so start from the end of the log.
                since = await LastSequenceAsync(cancellationToken).ConfigureAwait(false);
            }

            await heartbeat.BeatAsync(since, cancellationToken).ConfigureAwait(false);
            var (keyIds, next) = await store.GetKeyEventsAsync(since, cancellationToken).ConfigureAwait(false);
            foreach (var keyId in keyIds)
            {
                authenticator.Invalidate(keyId);
            }

            Interlocked.Exchange(ref _sequence, next);
            lease.Renew(started);
            if (next != since)
            {
                await heartbeat.BeatAsync(next, cancellationToken).ConfigureAwait(false);
            }

            if (_failing)
            {
                _failing = false;
                LogRecovered(_logger);
            }

            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (!_failing)
            {
                _failing = true;
                LogFailed(_logger, ex.GetType().Name);
            }

            return false;
        }
    }

    private async Task<long> LastSequenceAsync(CancellationToken cancellationToken)
    {
        long since = 0;
        while (true)
        {
            var (_, next) = await store.GetKeyEventsAsync(since, cancellationToken).ConfigureAwait(false);
            if (next == since)
            {
                return since;
            }

            since = next;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The revocation follower cannot read the store ({Error}); the key cache reads the store until it catches up")]
    private static partial void LogFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "The revocation follower caught up again")]
    private static partial void LogRecovered(ILogger logger);
}
