using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Broker.Storage;
using Broker.Storage.Sqlite;
using Broker.Vault;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broker.Server.Tests;

public sealed class StartupTests
{
    [Fact]
    public async Task FirstStart_WritesAdminKeyWithMode0600_AndItWorks()
    {
        using var app = new BrokerApp(bootstrapKey: false);
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
        var path = Path.Combine(app.DataDir, "admin.key");
        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        var key = (await File.ReadAllTextAsync(path)).Trim();
        Assert.StartsWith("brk_", key, StringComparison.Ordinal);
        using var admin = app.ClientWith(key);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/credentials")).StatusCode);
    }

    [Fact]
    public async Task BootstrapKeyFromConfiguration_WritesNoFile()
    {
        using var app = new BrokerApp();
        using var admin = app.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/credentials")).StatusCode);
        Assert.False(File.Exists(Path.Combine(app.DataDir, "admin.key")));
    }

    [Fact]
    public async Task WrongMasterKey_ForAnExistingStore_RefusesToStart_WithAClearMessage()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "broker-tests", Guid.NewGuid().ToString("n"));
        var first = new Dictionary<string, string?> { ["Broker:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        using (var app = new BrokerApp(settings: first, dataDir: dataDir))
        {
            await app.PutAsync("x", "secret-under-first-key");
        }

        var wrong = new Dictionary<string, string?> { ["Broker:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        using var second = new BrokerApp(settings: wrong, dataDir: dataDir);
        var ex = Assert.ThrowsAny<Exception>(() => second.CreateClient());
        var kek = ex as KeyEncryptionKeyException ?? ex.InnerException as KeyEncryptionKeyException;
        Assert.NotNull(kek);
        Assert.Contains("key-encryption key", kek.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingDataProtectionKeyRing_ForAnExistingStore_RefusesToStart()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "broker-tests", Guid.NewGuid().ToString("n"));
        using (var app = new BrokerApp(dataDir: dataDir))
        {
            await app.PutAsync("x", "secret-under-ring");
        }

        Directory.Delete(Path.Combine(dataDir, "keys"), recursive: true);
        using var second = new BrokerApp(dataDir: dataDir);
        Assert.ThrowsAny<Exception>(() => second.CreateClient());
    }

    [Fact]
    public void ChangedMigration_StopsTheStart_WithAClearMessage()
    {
        var path = Path.Combine(Path.GetTempPath(), "broker-tests", Guid.NewGuid().ToString("n") + ".db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var database = new SqliteDatabase(path);
        const string journal = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)";
        using (var connection = database.Open())
        {
            Assert.Equal(2, MigrationRunner.Apply(connection, [new Migration(1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"), new Migration(2, "0002_b.sql", "CREATE TABLE b (x INTEGER);")], journal).Count);
            Assert.Empty(MigrationRunner.Apply(connection, [new Migration(1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"), new Migration(2, "0002_b.sql", "CREATE TABLE b (x INTEGER);")], journal));
            var ex = Assert.Throws<InvalidOperationException>(() =>
                MigrationRunner.Apply(connection, [new Migration(1, "0001_a.sql", "CREATE TABLE a (x INTEGER, y INTEGER);")], journal));
            Assert.Contains("0001_a.sql", ex.Message, StringComparison.Ordinal);
            Assert.Contains("changed after it was applied", ex.Message, StringComparison.Ordinal);
            SqliteConnection.ClearPool(connection);
        }

        File.Delete(path);
    }

    [Fact]
    public void FailedMigration_IsRolledBack()
    {
        var path = Path.Combine(Path.GetTempPath(), "broker-tests", Guid.NewGuid().ToString("n") + ".db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var database = new SqliteDatabase(path);
        const string journal = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)";
        using var connection = database.Open();
        Assert.ThrowsAny<SqliteException>(() => MigrationRunner.Apply(connection, [new Migration(1, "0001_bad.sql", "CREATE TABLE good (x INTEGER); CREATE TABLE oops (;")], journal));
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'good'";
        Assert.Equal(0L, (long)command.ExecuteScalar()!);
    }

    [Theory]
    [InlineData("admin-password-0123456789abcdef", "must start with 'brk_'")]
    [InlineData("brk_tooShort-123", "at least 128 bits")]
    [InlineData("brk_0123456789abcdef0123456789", "at least 128 bits")]
    [InlineData("brk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too regular")]
    [InlineData("brk_Xq3-9vK_pL2mN8rT4wY6zA\n", "only base64url characters")]
    public void IllFormedBootstrapKey_StopsTheStart_WithAMessageThatNeverHoldsTheValue(string value, string expected)
    {
        var logs = new ConcurrentQueue<string>();
        var settings = new Dictionary<string, string?> { ["Broker:BootstrapAdminKey"] = value };
        using var app = new BrokerApp(settings: settings, bootstrapKey: false, services: s => s.AddLogging(b => b.AddProvider(new LogCapture(logs))));

        var ex = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        var refusal = Flatten(ex).OfType<InvalidOperationException>().FirstOrDefault(e => e.Message.Contains("Broker:BootstrapAdminKey", StringComparison.Ordinal));
        Assert.NotNull(refusal);
        Assert.Contains(expected, refusal.Message, StringComparison.Ordinal);
        var secretPart = value.Trim()[4..];
        Assert.All(Flatten(ex), e => Assert.DoesNotContain(secretPart, e.Message, StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Contains("Refusing to start", StringComparison.Ordinal) && l.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Contains(secretPart, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChangedBootstrapKey_ReplacesThePreviousOne_WhichStopsAtOnce()
    {
        var dataDir = BrokerApp.NewDataDir();
        var first = BrokerApp.AdminKey;
        var second = "brk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        string agentKey;
        using (var app = new BrokerApp(dataDir: dataDir))
        {
            agentKey = (await app.CreateKeyAsync(new { name = "agent-1", role = "agent" })).Key;
        }

        var withSecond = new Dictionary<string, string?> { ["Broker:BootstrapAdminKey"] = second };
        for (var restart = 0; restart < 2; restart++)
        {
            // The second start with the same value changes nothing more (idempotent).
            using var app = new BrokerApp(settings: withSecond, bootstrapKey: false, dataDir: dataDir);
            using (var old = app.ClientWith(first))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/v1/keys")).StatusCode);
            }

            using var admin = app.ClientWith(second);
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/keys", new { name = "acme-admin-" + restart, role = "admin", tenant = "acme" })).StatusCode);
            var bootstraps = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray().Where(i => i!["name"]!.GetValue<string>() == "bootstrap-admin").ToList();
            Assert.Equal(2, bootstraps.Count);
            Assert.Single(bootstraps, b => b!["status"]!.GetValue<string>() == "active");
            using var agent = app.ClientWith(agentKey);
            Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/v1/agent/credentials")).StatusCode); // nothing else was touched
        }

        // Going back to the replaced value does not bring it back, nor does it revoke its replacement.
        using (var app = new BrokerApp(dataDir: dataDir))
        {
            using var old = app.Admin();
            Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/v1/keys")).StatusCode);
            using var admin = app.ClientWith(second);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/keys")).StatusCode);
        }
    }

    [Fact]
    public async Task BootstrapKeyThatRotatedItself_DoesNotComeBackAtARestart()
    {
        var dataDir = BrokerApp.NewDataDir();
        string rotated;
        using (var app = new BrokerApp(dataDir: dataDir))
        {
            using var admin = app.Admin();
            var id = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "bootstrap-admin")!["id"]!.GetValue<string>();
            rotated = (await BrokerApp.JsonAsync(await admin.PostAsJsonAsync($"/v1/keys/{id}/rotate", new { })))["key"]!.GetValue<string>();
        }

        // Same configuration: the old value was registered once and is never registered again.
        using var restarted = new BrokerApp(dataDir: dataDir);
        using (var old = restarted.Admin())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/v1/keys")).StatusCode);
        }

        using var plain = restarted.ClientWith(rotated);
        Assert.Equal(HttpStatusCode.OK, (await plain.GetAsync("/v1/keys")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await plain.PostAsJsonAsync("/v1/keys", new { name = "x", role = "admin", tenant = "acme" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await plain.PostAsync("/v1/signing-keys/rotate", null)).StatusCode);
    }

    private static IEnumerable<Exception> Flatten(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }
}
