using Broker.Audit;
using Broker.Credentials;
using Broker.Keys;
using Broker.Minting.Signing;
using Broker.Storage.Postgres;
using Broker.Storage.Postgres.Audit;
using Broker.Storage.Postgres.Credentials;
using Broker.Storage.Postgres.Keys;
using Broker.Storage.Postgres.Replicas;
using Broker.Storage.Postgres.SigningKeys;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Audit;
using Broker.Storage.Sqlite.Credentials;
using Broker.Storage.Sqlite.Keys;
using Broker.Storage.Sqlite.SigningKeys;
using Broker.Vault;
using Microsoft.Extensions.Options;

namespace Broker.Server.Hosting;

/// <summary>
/// The store block of the composition root: <c>Broker:Store</c> = <c>sqlite</c> (default, embedded, one process) or
/// <c>postgres</c> (<c>ConnectionStrings:Broker</c>; several replicas may share it, see docs/replicas.md).
/// </summary>
public static class StoreRegistration
{
    public const string ConnectionStringName = "Broker";

    public static IServiceCollection AddBrokerStore(this IServiceCollection services, IConfiguration configuration)
    {
        var kind = configuration[$"{BrokerOptions.Section}:{nameof(BrokerOptions.Store)}"] ?? "sqlite";
        return kind.Trim().ToLowerInvariant() switch
        {
            "sqlite" => services.AddSqliteStore(),
            "postgres" or "postgresql" => services.AddPostgresStore(configuration),
            _ => throw new InvalidOperationException($"Broker:Store is '{kind}'; it must be 'sqlite' or 'postgres'."),
        };
    }

    /// <summary>One SQLite file under the data directory; limits counted in memory; no replica coordination.</summary>
    public static IServiceCollection AddSqliteStore(this IServiceCollection services)
    {
        services.AddSingleton(sp => new SqliteDatabase(sp.GetRequiredService<BrokerPaths>().SqliteFile));
        services.AddSingleton<ICredentialStore, SqliteCredentialStore>();
        services.AddSingleton<IVaultCanaryStore, SqliteVaultCanaryStore>();
        services.AddSingleton<IKeyStore, SqliteKeyStore>();
        services.AddSingleton<IStoreHealth, SqliteStoreHealth>();
        services.AddSingleton<ISigningKeyStore, SqliteSigningKeyStore>();
        services.AddSingleton<IAuditStore>(sp => new SqliteAuditStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IUsageLimiter, InMemoryUsageLimiter>();
        services.AddSingleton<StoreInitializer>(sp => new StoreInitializer(() => SqliteMigrations.Apply(sp.GetRequiredService<SqliteDatabase>())));
        return services;
    }

    /// <summary>
    /// PostgreSQL shared by replicas: limits counted in the database, the key cache under a lease renewed by the
    /// revocation follower, revokes waiting for the other replicas, and LISTEN/NOTIFY for credential changes.
    /// </summary>
    public static IServiceCollection AddPostgresStore(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("Broker:Store is 'postgres' but ConnectionStrings:Broker (ConnectionStrings__Broker) is not set.");
        }

        services.AddSingleton(_ => new PostgresDatabase(connectionString));
        services.AddSingleton<ICredentialStore, PostgresCredentialStore>();
        services.AddSingleton<IVaultCanaryStore, PostgresVaultCanaryStore>();
        services.AddSingleton<IKeyStore, PostgresKeyStore>();
        services.AddSingleton<IStoreHealth, PostgresStoreHealth>();
        services.AddSingleton<ISigningKeyStore, PostgresSigningKeyStore>();
        services.AddSingleton<IAuditStore, PostgresAuditStore>();
        services.AddSingleton<IUsageLimiter, PostgresUsageLimiter>();
        services.AddSingleton<StoreInitializer>(sp => new StoreInitializer(() => ApplyWithRetry(sp.GetRequiredService<PostgresDatabase>(), sp.GetRequiredService<ILoggerFactory>())));

        // Replicas appending to one tenant's chain collide on (tenant, id) whenever another replica committed since
        // this one's cached head; each collision costs one failed INSERT, a re-read of the head and a retry (the chain
        // never forks). Under a hot tenant on several replicas that happens often, so allow many more retries than
        // one process needs (docs/replicas.md).
        services.PostConfigure<AuditOptions>(o => o.AppendAttempts = Math.Max(o.AppendAttempts, 64));

        // Replica coordination (docs/replicas.md).
        services.AddOptions<KeyLeaseOptions>().BindConfiguration(KeyLeaseOptions.Section);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<KeyLeaseOptions>>().Value);
        services.AddSingleton(sp => new KeyCacheLease(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<KeyLeaseOptions>().Lease));
        services.AddSingleton<IKeyCacheLease>(sp => sp.GetRequiredService<KeyCacheLease>());
        services.AddSingleton<PostgresReplicaRegistry>();
        services.AddSingleton<IReplicaHeartbeat>(sp => sp.GetRequiredService<PostgresReplicaRegistry>());
        services.AddSingleton<IRevocationBarrier>(sp => sp.GetRequiredService<PostgresReplicaRegistry>());
        services.AddSingleton<KeyEventFollower>();
        services.AddHostedService<KeyEventFollowerService>();
        services.AddSingleton<PostgresNotificationListener>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresNotificationListener>());
        return services;
    }

    private static IReadOnlyList<string> ApplyWithRetry(PostgresDatabase database, ILoggerFactory loggers)
    {
        // A replica may start before the database accepts connections (compose, a restart): wait up to 60 s.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return PostgresMigrations.Apply(database);
            }
            catch (Exception ex) when (PostgresDatabase.IsUnavailable(ex) && DateTime.UtcNow < deadline)
            {
                loggers.CreateLogger("Broker.Startup").LogWarning("PostgreSQL is not reachable yet ({Error}); retrying", ex.GetType().Name);
                Thread.Sleep(1000);
            }
        }
    }
}
