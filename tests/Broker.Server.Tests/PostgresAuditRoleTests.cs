using System.Net;
using Broker.Audit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Broker.Server.Tests;

/// <summary>
/// Two roles on PostgreSQL: the owner (<c>ConnectionStrings:BrokerOwner</c>) migrates and grants; the broker's runtime role
/// (<c>ConnectionStrings:Broker</c>) can append to and read the audit trail but not rewrite it.
/// </summary>
public sealed class PostgresAuditRoleTests
{
    [PostgresFact]
    public async Task RuntimeRole_MayInsertAndSelectAudit_ButNotUpdateDeleteOrTruncate()
    {
        var baseString = PostgresFactAttribute.ConnectionString!;
        var suffix = Guid.NewGuid().ToString("n")[..12];
        var schema = "t_" + suffix;
        var role = "broker_rt_" + suffix;
        var password = Guid.NewGuid().ToString("n");
        Execute(baseString, $"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'", $"CREATE SCHEMA \"{schema}\"");
        var owner = new NpgsqlConnectionStringBuilder(baseString) { SearchPath = schema }.ConnectionString;
        var runtime = new NpgsqlConnectionStringBuilder(baseString) { Username = role, Password = password, SearchPath = schema }.ConnectionString;
        try
        {
            using (var app = new BrokerApp(settings: new Dictionary<string, string?>
            {
                ["Broker:Store"] = "postgres",
                ["ConnectionStrings:Broker"] = runtime,
                ["ConnectionStrings:BrokerOwner"] = owner,
                ["Broker:Audit:CheckpointInterval"] = "00:00:00",
            }))
            {
                // The broker works under the runtime role: writes, keys, audit appends, checkpoints, verification.
                await app.PutAsync("db_password", "value-under-runtime-role");
                await app.CreateKeyAsync(new { name = "agent-1", role = "agent", credentials = new[] { "*" } });
                Assert.NotEmpty(await app.Services.GetRequiredService<AuditCheckpointWriter>().WriteCheckpointsAsync());
                using var admin = app.Admin();
                var verify = await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit/verify"));
                Assert.True(verify["valid"]!.GetValue<bool>(), verify.ToJsonString());
                Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/audit/head")).StatusCode);
            }

            NpgsqlConnection.ClearAllPools();
            Assert.True(Scalar(runtime, "SELECT count(*) FROM audit_records") > 0);
            foreach (var table in new[] { "audit_records", "audit_checkpoints" })
            {
                foreach (var sql in new[] { $"UPDATE {table} SET hash = hash", $"DELETE FROM {table}", $"TRUNCATE {table}" })
                {
                    var refused = Assert.Throws<PostgresException>(() => Execute(runtime, sql));
                    Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
                }
            }

            Assert.Throws<PostgresException>(() => Execute(runtime, "DELETE FROM schema_migrations"));

            // The owner still can (it owns the tables): the trail's defence against it is the hash chain and the checkpoints.
            Assert.True(Scalar(owner, "SELECT count(*) FROM audit_records") > 0);
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

    private static long Scalar(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
