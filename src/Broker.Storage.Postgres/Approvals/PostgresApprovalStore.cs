using System.Data.Common;
using Broker.Storage.Approvals;
using Dapper;

namespace Broker.Storage.Postgres.Approvals;

/// <summary>Approvals in PostgreSQL: every decision is NOTIFYed on <see cref="PostgresChannels.Approvals"/>, so a waiter on any replica wakes at once.</summary>
public sealed class PostgresApprovalStore(PostgresDatabase database) : SqlApprovalStore(new PostgresDialect(database))
{
    protected override Task AfterDecideAsync(DbConnection connection, string tenant, string id, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_notify(@channel, @id)", new { channel = PostgresChannels.Approvals, id }, cancellationToken: cancellationToken));
}
