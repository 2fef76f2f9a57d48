using Broker.Keys;
using Dapper;

namespace Broker.Storage.Postgres.Keys;

/// <summary>
/// Limits counted in the database, shared by every replica: one call of <c>broker_try_acquire</c> (migration 0005)
/// per limited use, which locks the key's counter row, trims its sliding log of the last 60 s, and admits or refuses
/// in the same transaction. Exact under any concurrency; windows follow the database's clock.
/// </summary>
public sealed class PostgresUsageLimiter(PostgresDatabase database) : IUsageLimiter
{
    public async ValueTask<UsageDecision> TryAcquireAsync(string keyId, int? ratePerMinute, int? quotaPerDay, CancellationToken cancellationToken = default)
    {
        if (ratePerMinute is null && quotaPerDay is null)
        {
            return UsageDecision.Allowed;
        }

        var (decision, retryAfterMs) = await database.RunAsync(connection => connection.QuerySingleAsync<(int Decision, long RetryAfterMs)>(new CommandDefinition(
            "SELECT decision, retry_after_ms FROM broker_try_acquire(@keyId, @rate, @quota)",
            new { keyId, rate = (long?)ratePerMinute, quota = (long?)quotaPerDay }, cancellationToken: cancellationToken)), cancellationToken).ConfigureAwait(false);
        return decision switch
        {
            0 => UsageDecision.Allowed,
            1 => new UsageDecision(UsageDecisionKind.RateLimited, TimeSpan.FromMilliseconds(retryAfterMs)),
            _ => new UsageDecision(UsageDecisionKind.QuotaExceeded, TimeSpan.FromMilliseconds(retryAfterMs)),
        };
    }
}
