using Broker.Storage.Postgres;
using Dapper;

namespace Broker.Server.Hosting;

/// <summary>Ready while PostgreSQL answers a trivial query within two seconds.</summary>
public sealed class PostgresStoreHealth(PostgresDatabase database) : IStoreHealth
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            return await database.RunAsync(connection => connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: timeout.Token)), timeout.Token) == 1;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _ = ex;
            return false;
        }
    }
}
