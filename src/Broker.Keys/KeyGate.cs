namespace Broker.Keys;

/// <summary>
/// The one path by which a key is let in, for the broker's own routes (the key authentication middleware) and for
/// an agent verifying its caller's key alike: the key is checked (cache, lease, store: <see cref="KeyAuthenticator"/>),
/// then admitted against its rate limit (and, for inbound keys, its daily quota), and only an admitted use counts as
/// the key's last use. Whatever the caller adds in front (the host's per-address failure budget) or after (a role, an
/// agent pattern) is its own rule; the limits and the use count are decided here once.
/// </summary>
public sealed class KeyGate(KeyAuthenticator authenticator, IUsageLimiter limiter, UsageTracker usage, TimeProvider time)
{
    /// <summary>Checks a presented key (cache first; the store only when the cache cannot answer).</summary>
    public ValueTask<KeyCheck> CheckAsync(PresentedKey presented, CancellationToken cancellationToken = default) =>
        authenticator.CheckAsync(presented, cancellationToken);

    /// <summary>Checks a presented key given as text (anything that is not a well-formed key is unknown).</summary>
    public ValueTask<KeyCheck> CheckAsync(string presented, CancellationToken cancellationToken = default) =>
        authenticator.CheckAsync(presented, cancellationToken);

    /// <summary>
    /// Admits one use of a key found valid: its rate limit, and its daily quota when <paramref name="countQuota"/>
    /// (an inbound key verified for an agent), counted once over all replicas. An admitted use is the key's last use.
    /// </summary>
    public async ValueTask<UsageDecision> AdmitAsync(ApiKeyRecord key, bool countQuota, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var decision = await limiter.TryAcquireAsync(key.Id, key.RateLimitPerMinute, countQuota ? key.QuotaPerDay : null, cancellationToken).ConfigureAwait(false);
        if (decision.IsAllowed)
        {
            usage.Record(key.Id, time.GetUtcNow());
        }

        return decision;
    }
}
