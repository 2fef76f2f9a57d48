using System.Data.Common;
using Broker.Core;
using Broker.Keys;
using Broker.Storage.Keys;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Broker.Storage.Postgres.Keys;

/// <summary>
/// <see cref="IKeyStore"/> on PostgreSQL: the shared store on the PostgreSQL dialect. A revoke or rotation appends to
/// <c>key_events</c> with a number from the single counter row (commit order) and NOTIFYs
/// <see cref="PostgresChannels.KeyEvents"/> in the same transaction.
/// </summary>
public sealed class PostgresKeyStore(PostgresDatabase database, ILogger<PostgresKeyStore>? logger = null) : SqlKeyStore(new PostgresDialect(database), logger)
{
    protected override Task AddEventAsync(DbConnection connection, DbTransaction transaction, string keyId, long at, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            WITH next AS (UPDATE key_event_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq)
            INSERT INTO key_events (seq, key_id, at) SELECT seq, @keyId, @at FROM next;
            SELECT pg_notify(@channel, @keyId);
            """,
            new { keyId, at, channel = PostgresChannels.KeyEvents }, transaction, cancellationToken: cancellationToken));

    protected override async Task<bool> InsertFirstSecretAsync(DbConnection connection, DbTransaction transaction, ApiKeyRecord key, byte[] secretHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            InsertSecret + " ON CONFLICT (hash) DO NOTHING", new { secretHash, id = key.Id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (inserted != 0)
        {
            return true;
        }

        // Two replicas starting together with the same configured bootstrap key: the other one registered it.
        return key.IsBootstrap ? false : throw new BrokerOperationException(BrokerErrorKind.Conflict, "A key with this secret already exists.");
    }

    // One statement for the whole batch.
    protected override Task<int> WriteLastUsedAsync(DbConnection connection, IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastUsed, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE api_keys k SET last_used_at = GREATEST(COALESCE(k.last_used_at, 0), u.at)
            FROM unnest(@ids, @ats) AS u(id, at) WHERE k.id = u.id
            """,
            new { ids = lastUsed.Select(p => p.Key).ToArray(), ats = lastUsed.Select(p => UnixMs.From(p.Value)).ToArray() },
            cancellationToken: cancellationToken));
}
