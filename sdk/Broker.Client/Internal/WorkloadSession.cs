namespace Broker.Client.Internal;

/// <summary>
/// The access token of a workload login (RFC 8693 exchange of the workload's token file): logged in on first use,
/// renewed in the background once <see cref="RenewFraction"/> of its lifetime has passed while the current one still
/// works (so requests, and the cache's freshness, never wait on a renewal), and logged in again in the foreground
/// only when none is valid. A failed renewal keeps the current token and is retried with a doubling backoff.
/// </summary>
internal sealed class WorkloadSession(Func<CancellationToken, Task<(string Token, TimeSpan Lifetime)>> login, TimeProvider time)
{
    public const double RenewFraction = 0.8;

    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Session? _current;
    private long _nextAttemptTicks;
    private int _failures;
    private int _renewing;

    /// <summary>The token requests are sent with now, if any (to keep it out of error messages).</summary>
    public string? CurrentToken => Volatile.Read(ref _current)?.Token;

    /// <summary>The background renewal running now, if any (for tests).</summary>
    internal Task? Renewal { get; private set; }

    /// <summary>A valid access token: the current one (starting a renewal when due), or a new login.</summary>
    /// <exception cref="BrokerException">No token is valid and the login failed.</exception>
    public async ValueTask<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var session = Volatile.Read(ref _current);
        if (session is not null && now < session.ExpiresAt)
        {
            if (now >= session.RenewAt && now.UtcTicks >= Interlocked.Read(ref _nextAttemptTicks) && Interlocked.CompareExchange(ref _renewing, 1, 0) == 0)
            {
                Renewal = Task.Run(() => RenewAsync(session));
            }

            return session.Token;
        }

        return (await LoginAsync(session, cancellationToken).ConfigureAwait(false)).Token;
    }

    /// <summary>The broker refused <paramref name="token"/> (401: the profile was deleted): the next request logs in again.</summary>
    public void Invalidate(string token)
    {
        var session = Volatile.Read(ref _current);
        if (session is not null && session.Token == token)
        {
            Interlocked.CompareExchange(ref _current, null, session);
        }
    }

    private async Task<Session> LoginAsync(Session? seen, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another caller may have logged in while this one waited.
            var current = Volatile.Read(ref _current);
            if (current is not null && !ReferenceEquals(current, seen) && time.GetUtcNow() < current.ExpiresAt)
            {
                return current;
            }

            var (token, lifetime) = await login(cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();

            // Stop using a token a little before the broker does: a request must not arrive with one just expired.
            var session = new Session(token, now + lifetime * RenewFraction, now + lifetime * 0.95);
            Volatile.Write(ref _current, session);
            _failures = 0;
            Interlocked.Exchange(ref _nextAttemptTicks, 0);
            return session;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RenewAsync(Session seen)
    {
        try
        {
            await LoginAsync(seen, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Whatever failed (the file, the broker, a disposed client), the current token stays until it expires.
            var failures = Interlocked.Increment(ref _failures);
            var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(failures, 10))));
            Interlocked.Exchange(ref _nextAttemptTicks, (time.GetUtcNow() + backoff).UtcTicks);
        }
        finally
        {
            Volatile.Write(ref _renewing, 0);
        }
    }

    private sealed record Session(string Token, DateTimeOffset RenewAt, DateTimeOffset ExpiresAt);
}
