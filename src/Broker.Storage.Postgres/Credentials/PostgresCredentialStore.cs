using System.Data.Common;
using System.Text.Json;
using Broker.Storage.Credentials;
using Dapper;

namespace Broker.Storage.Postgres.Credentials;

/// <summary>
/// <see cref="Broker.Credentials.ICredentialStore"/> on PostgreSQL: the shared store on the PostgreSQL dialect, and a
/// NOTIFY of every change to a shared value, which its transaction's commit delivers to every replica.
/// </summary>
public sealed class PostgresCredentialStore(PostgresDatabase database) : SqlCredentialStore(new PostgresDialect(database))
{
    protected override Task OnChangeRecordedAsync(DbConnection connection, DbTransaction transaction, string tenant, long cursor, string name, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_notify(@channel, @payload)",
            new { channel = PostgresChannels.Credentials, payload = JsonSerializer.Serialize(new ChangePayload(tenant, cursor, name)) },
            transaction, cancellationToken: cancellationToken));
}
