using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Broker.Storage.Sqlite;

/// <summary>The <c>store</c> readiness check: healthy while the SQLite file answers a trivial query.</summary>
public sealed class SqliteStoreHealthCheck(SqliteDatabase database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken)).ConfigureAwait(false) == 1
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy(StoreHealth.DoesNotAnswer);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The exception stays out of the result: the description is all a probe (and the log) needs.
            return HealthCheckResult.Unhealthy(StoreHealth.DoesNotAnswer);
        }
    }
}
