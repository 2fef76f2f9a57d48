using Broker.Core;

namespace Broker.Audit;

/// <summary>What the audit routes read; the host validates the shape of a request and calls these.</summary>
public sealed class AuditQueries(IAuditStore store)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1_000;

    /// <summary><c>GET /v1/audit</c>: the tenant's records, oldest first.</summary>
    /// <exception cref="ValidationException"><paramref name="limit"/> is outside 1..1000.</exception>
    public Task<IReadOnlyList<AuditRecord>> ListAsync(
        string tenant, DateTimeOffset? since, string? action, int? limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        return store.QueryAsync(tenant, since, string.IsNullOrEmpty(action) ? null : action, CheckLimit(limit), cancellationToken);
    }

    /// <summary>The leaked-key report (<c>recentUse</c>): what the key did most recently, newest first.</summary>
    public Task<IReadOnlyList<AuditRecord>> RecentByKeyAsync(
        string tenant, string keyId, int? limit = 20, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        return store.GetRecentByKeyAsync(tenant, keyId, CheckLimit(limit), cancellationToken);
    }

    /// <summary>
    /// "Was this secret read?": records that carry <paramref name="valueHmac"/> (from <see cref="AuditValueHmac.Compute(string, string)"/>
    /// over the suspect value), newest first.
    /// </summary>
    /// <exception cref="ValidationException"><paramref name="valueHmac"/> is not 64 lowercase hex digits.</exception>
    public Task<IReadOnlyList<AuditRecord>> FindByValueHmacAsync(
        string tenant, string valueHmac, int? limit = DefaultLimit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        if (!AuditValueHmac.IsWellFormed(valueHmac))
        {
            throw new ValidationException("valueHmac", "Must be 64 lowercase hex digits.");
        }

        return store.FindByValueHmacAsync(tenant, valueHmac, CheckLimit(limit), cancellationToken);
    }

    private static int CheckLimit(int? limit) => limit switch
    {
        null => DefaultLimit,
        >= 1 and <= MaxLimit => limit.Value,
        _ => throw new ValidationException("limit", $"Must be between 1 and {MaxLimit}."),
    };
}
