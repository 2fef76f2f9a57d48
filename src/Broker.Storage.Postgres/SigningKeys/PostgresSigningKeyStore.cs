using System.Data.Common;
using Broker.Storage.SigningKeys;
using Dapper;

namespace Broker.Storage.Postgres.SigningKeys;

/// <summary>
/// Signing keys on PostgreSQL, shared by every replica (one JWKS): the shared store on the PostgreSQL dialect; a
/// revocation notifies every replica in its own transaction, so their JWKS drop the key on commit.
/// </summary>
public sealed class PostgresSigningKeyStore(PostgresDatabase database) : SqlSigningKeyStore(new PostgresDialect(database))
{
    protected override Task OnRevokedAsync(DbConnection connection, DbTransaction transaction, string kid, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_notify(@channel, @kid)", new { channel = PostgresChannels.SigningKeys, kid }, transaction, cancellationToken: cancellationToken));
}
