using Broker.Credentials;
using Broker.Keys;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Credentials;
using Broker.Storage.Sqlite.Keys;
using Broker.Vault;
using Microsoft.Data.Sqlite;

namespace Broker.Storage.Tests;

/// <summary>
/// The stores under test: every contract test is a theory over these names, so one suite runs against each
/// database (a new database adds a case here, not a copy of the tests).
/// </summary>
public static class StoreKinds
{
    public static TheoryData<string> All
    {
        get
        {
            var data = new TheoryData<string> { "sqlite" };
            return data;
        }
    }

    public static TestStores Create(string kind) => kind switch
    {
        "sqlite" => SqliteStores.Create(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown store"),
    };
}

public abstract class TestStores : IDisposable
{
    public abstract ICredentialStore Credentials { get; }

    public abstract IKeyStore Keys { get; }

    public abstract IVaultCanaryStore Canary { get; }

    public abstract void Dispose();
}

internal sealed class SqliteStores : TestStores
{
    private readonly string _path;

    private SqliteStores(string path)
    {
        _path = path;
        var database = new SqliteDatabase(path);
        SqliteMigrations.Apply(database);
        Credentials = new SqliteCredentialStore(database);
        Keys = new SqliteKeyStore(database);
        Canary = new SqliteVaultCanaryStore(database);
    }

    public override ICredentialStore Credentials { get; }

    public override IKeyStore Keys { get; }

    public override IVaultCanaryStore Canary { get; }

    public static SqliteStores Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), "broker-store-tests");
        Directory.CreateDirectory(dir);
        return new SqliteStores(Path.Combine(dir, Guid.NewGuid().ToString("n") + ".db"));
    }

    public override void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_path + suffix);
        }
    }
}
