using Broker.Audit;
using Broker.Storage.Audit;
using Dapper;

namespace Broker.Storage.Postgres.Audit;

/// <summary>
/// <see cref="IAuditStore"/> on PostgreSQL (table <c>audit_records</c>, migration 0003). A batch is one INSERT of
/// parallel arrays through <c>unnest</c> (one round trip, one commit); the (tenant, id) key refuses a record that
/// another replica already wrote at that position, and the group-commit writer then re-reads the head and re-chains.
/// The reads are the shared ones (<see cref="SqlAuditStore"/>). Every value is a bound parameter.
/// </summary>
public sealed class PostgresAuditStore(PostgresDatabase database) : SqlAuditStore(new PostgresDialect(database))
{
    public override Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
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
}
