namespace Broker.Keys;

/// <summary>
/// Counts uses of keys against their limits. In one process, memory; with replicas, one shared count
/// (the database), so a caller cannot multiply its limit by the number of replicas.
/// </summary>
public interface IUsageLimiter
{
    /// <summary>Admits one use when both the rate limit (any 60-second window) and the daily quota (UTC day) allow it, atomically.</summary>
    ValueTask<UsageDecision> TryAcquireAsync(string keyId, int? ratePerMinute, int? quotaPerDay, CancellationToken cancellationToken = default);
}
