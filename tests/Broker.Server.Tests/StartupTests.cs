using System.Net;
using System.Security.Cryptography;
using Broker.Storage;
using Broker.Storage.Sqlite;
using Broker.Vault;
using Microsoft.Data.Sqlite;

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
}
