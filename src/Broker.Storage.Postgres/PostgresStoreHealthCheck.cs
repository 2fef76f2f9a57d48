using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Broker.Storage.Postgres;

/// <summary>The <c>store</c> readiness check: healthy while PostgreSQL answers a trivial query within two seconds.</summary>
public sealed class PostgresStoreHealthCheck(PostgresDatabase database) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            return await database.RunAsync(connection => connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: timeout.Token)), timeout.Token).ConfigureAwait(false) == 1
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy(StoreHealth.DoesNotAnswer);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The exception stays out of the result: the description is all a probe (and the log) needs.
            _ = ex;
            return HealthCheckResult.Unhealthy(StoreHealth.DoesNotAnswer);
        }
    }
}
