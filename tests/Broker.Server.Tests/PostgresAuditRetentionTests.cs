using Broker.Audit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Broker.Server.Tests;

/// <summary>
/// Retention on PostgreSQL with two roles: the runtime role prunes only through the owner's <c>audit_prune</c> function
/// (records at or below a forward-only anchor that names a record of the chain), never by DELETE of its own.
/// </summary>
public sealed class PostgresAuditRetentionTests
{
    [PostgresFact]
    public async Task RuntimeRole_PrunesThroughTheOwnersFunction_AndOnlyBelowTheAnchor()
    {
        var baseString = PostgresFactAttribute.ConnectionString!;
        var suffix = Guid.NewGuid().ToString("n")[..12];
        var schema = "t_" + suffix;
        var role = "broker_rt_" + suffix;
        var password = Guid.NewGuid().ToString("n");
        Execute(baseString, $"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'", $"CREATE SCHEMA \"{schema}\"");
        var owner = new NpgsqlConnectionStringBuilder(baseString) { SearchPath = schema }.ConnectionString;
        var runtime = new NpgsqlConnectionStringBuilder(baseString) { Username = role, Password = password, SearchPath = schema }.ConnectionString;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero));
        try
        {
            AuditPruneResult pruned;
            using (var app = new BrokerApp(time, new Dictionary<string, string?>
            {
                ["Broker:Store"] = "postgres",
                ["ConnectionStrings:Broker"] = runtime,
                ["ConnectionStrings:BrokerOwner"] = owner,
                ["Broker:Audit:CheckpointInterval"] = "00:00:00",
                ["Broker:Audit:RetentionInterval"] = "00:00:00",
                ["Broker:Audit:Retention"] = "30.00:00:00",
                ["Broker:Audit:PruneBatchSize"] = "2",
            }))
            {
                await app.PutAsync("db_password", "value-under-runtime-role");
                await app.PutAsync("db_password", "value-under-runtime-role-2");
                time.Advance(TimeSpan.FromDays(31));
                await app.PutAsync("db_password", "value-under-runtime-role-3");
                // Another replica on the same store is running retention: this one skips its pass.
                using (var otherReplica = new Broker.Storage.Postgres.PostgresDatabase(runtime))
                await using (var lease = await new Broker.Storage.Postgres.Audit.PostgresAuditRetentionStore(otherReplica).TryLeaseRunAsync())
                {
                    Assert.NotNull(lease);
                    Assert.Empty(await app.Services.GetRequiredService<AuditRetention>().RunAsync());
                }

                pruned = Assert.Single(await app.Services.GetRequiredService<AuditRetention>().RunAsync());
                Assert.True(pruned.Deleted >= 2);
                Assert.Equal(pruned.Deleted, pruned.Archived);
                using var admin = app.Admin();
                var verify = await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit/verify"));
                Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());
                using var anonymous = app.CreateClient();
                Assert.True(AuditFileVerifier.Verify([pruned.ArchiveFile], [], await anonymous.GetStringAsync("/.well-known/audit-keys.json")).Valid);
            }

            NpgsqlConnection.ClearAllPools();
            Assert.Equal(pruned.Anchor.Id + 1, Scalar(runtime, "SELECT min(id) FROM audit_records WHERE tenant = 'default'"));
            var head = Scalar(runtime, "SELECT max(id) FROM audit_records WHERE tenant = 'default'");
            var headHash = Text(runtime, $"SELECT hash FROM audit_records WHERE tenant = 'default' AND id = {head}");

            // Still no DELETE of its own, and no writing the anchor around the function.
            foreach (var sql in new[]
            {
                "DELETE FROM audit_records",
                "UPDATE audit_anchors SET id = id + 1",
                "INSERT INTO audit_anchors (tenant, id, hash, time, kid, signature) VALUES ('x', 1, 'h', 't', 'k', 's')",
                "DELETE FROM audit_anchors",
            })
            {
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, Assert.Throws<PostgresException>(() => Execute(runtime, sql)).SqlState);
            }

            // The function refuses an anchor at the head (a cut tail), one that names no record, and one moved back.
            foreach (var (id, hash) in new[] { (head, headHash), (head - 1, new string('0', 64)), (pruned.Anchor.Id - 1, pruned.Anchor.Hash) })
            {
                var refused = Assert.Throws<PostgresException>(() => Execute(runtime, $"SELECT audit_prune('default', {id}, '{hash}', 't', 'k', 's', 100)"));
                Assert.Equal(PostgresErrorCodes.RaiseException, refused.SqlState);
            }

            Assert.Equal(head - pruned.Anchor.Id, Scalar(runtime, "SELECT count(*) FROM audit_records WHERE tenant = 'default'"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Execute(baseString, $"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", $"DROP ROLE IF EXISTS \"{role}\"");
        }
    }

    private static void Execute(string connectionString, params string[] statements)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        foreach (var sql in statements)
        {
            using var command = new NpgsqlCommand(sql, connection);
            command.ExecuteNonQuery();
        }
    }

    private static long Scalar(string connectionString, string sql) => Convert.ToInt64(Query(connectionString, sql), System.Globalization.CultureInfo.InvariantCulture);

    private static string Text(string connectionString, string sql) => (string)Query(connectionString, sql)!;

    private static object? Query(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }
}
