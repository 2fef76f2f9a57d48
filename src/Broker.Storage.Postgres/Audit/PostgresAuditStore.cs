using Broker.Storage.Rows;
using Broker.Storage;
using Broker.Audit;
using Dapper;

namespace Broker.Storage.Postgres.Audit;

/// <summary>
/// <see cref="IAuditStore"/> on PostgreSQL (table <c>audit_records</c>, migration 0003). A batch is one INSERT of
/// parallel arrays through <c>unnest</c> (one round trip, one commit); the (tenant, id) key refuses a record that
/// another replica already wrote at that position, and the group-commit writer then re-reads the head and re-chains.
/// Every value is a bound parameter.
/// </summary>
public sealed class PostgresAuditStore(PostgresDatabase database) : IAuditStore
{
    private const string Columns =
        "tenant AS Tenant, id AS Id, time AS Time, actor_key_id AS ActorKeyId, actor_name AS ActorName, " +
        "actor_role AS ActorRole, action AS Action, target AS Target, outcome AS Outcome, reason AS Reason, " +
        "request_id AS RequestId, client_address AS ClientAddress, user_agent AS UserAgent, value_hmac AS ValueHmac, " +
        "prev_hash AS PrevHash, hash AS Hash";

    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        var p = new
        {
            tenants = records.Select(r => r.Tenant).ToArray(),
            ids = records.Select(r => r.Id).ToArray(),
            // The exact text that was hashed: a record read back re-hashes to the same value.
            times = records.Select(r => AuditTime.ToText(r.Time)).ToArray(),
            actorKeyIds = records.Select(r => r.Actor.KeyId).ToArray(),
            actorNames = records.Select(r => r.Actor.Name).ToArray(),
            actorRoles = records.Select(r => r.Actor.Role).ToArray(),
            actions = records.Select(r => r.Action).ToArray(),
            targets = records.Select(r => r.Target).ToArray(),
            outcomes = records.Select(r => r.Outcome).ToArray(),
            reasons = records.Select(r => r.Reason).ToArray(),
            requestIds = records.Select(r => r.RequestId).ToArray(),
            clientAddresses = records.Select(r => r.ClientAddress).ToArray(),
            userAgents = records.Select(r => r.UserAgent).ToArray(),
            valueHmacs = records.Select(r => r.ValueHmac).ToArray(),
            prevHashes = records.Select(r => r.PrevHash).ToArray(),
            hashes = records.Select(r => r.Hash).ToArray(),
        };

        // One statement is one transaction: all rows become durable (synchronous_commit) or none do.
        return database.RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO audit_records (tenant, id, time, actor_key_id, actor_name, actor_role, action, target, outcome,
                                       reason, request_id, client_address, user_agent, value_hmac, prev_hash, hash)
            SELECT * FROM unnest(@tenants::text[], @ids::bigint[], @times::text[], @actorKeyIds::text[], @actorNames::text[],
                                 @actorRoles::text[], @actions::text[], @targets::text[], @outcomes::text[], @reasons::text[],
                                 @requestIds::text[], @clientAddresses::text[], @userAgents::text[], @valueHmacs::text[],
                                 @prevHashes::text[], @hashes::text[])
            """,
            p, cancellationToken: cancellationToken)), cancellationToken);
    }

    public Task<AuditChainHead> GetHeadAsync(string tenant, CancellationToken cancellationToken) =>
        database.RunAsync(async connection =>
        {
            var head = await connection.QueryFirstOrDefaultAsync<(long Id, string Hash)?>(new CommandDefinition(
                "SELECT id, hash FROM audit_records WHERE tenant = @tenant ORDER BY id DESC LIMIT 1",
                new { tenant }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return head is { } h ? new AuditChainHead(h.Id, h.Hash) : AuditChainHead.Genesis;
        }, cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> QueryAsync(string tenant, DateTimeOffset? since, string? action, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant " +
            "AND (@since::text IS NULL OR time >= @since::text) AND (@action::text IS NULL OR action = @action::text) ORDER BY id LIMIT @limit",
            new { tenant, since = since is null ? null : AuditTime.ToText(since.Value), action, limit = (long)limit },
            cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> ReadChainAsync(string tenant, long afterId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant AND id > @afterId ORDER BY id LIMIT @limit",
            new { tenant, afterId, limit = (long)limit },
            cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> GetRecentByKeyAsync(string tenant, string keyId, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant AND (actor_key_id = @keyId OR (action = 'inbound.verify' AND target = @keyId)) ORDER BY id DESC LIMIT @limit",
            new { tenant, keyId, limit = (long)limit },
            cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> FindByValueHmacAsync(string tenant, string valueHmac, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant = @tenant AND value_hmac = @valueHmac ORDER BY id DESC LIMIT @limit",
            new { tenant, valueHmac, limit = (long)limit },
            cancellationToken);

    private Task<IReadOnlyList<AuditRecord>> ReadAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        database.RunAsync<IReadOnlyList<AuditRecord>>(async connection =>
        {
            var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => r.ToRecord()).ToList();
        }, cancellationToken);
}
