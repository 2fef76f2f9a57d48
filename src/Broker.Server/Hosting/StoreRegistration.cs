using Broker.Server.Startup;
using Broker.Storage.Postgres;
using Broker.Storage.Sqlite;

namespace Broker.Server.Hosting;

/// <summary>
/// The store block of the composition root: <c>Broker:Store</c> = <c>sqlite</c> (default, embedded, one process) or
/// <c>postgres</c> (<c>ConnectionStrings:Broker</c>; several replicas may share it, see docs/replicas.md; optionally
/// <c>ConnectionStrings:BrokerOwner</c> for migrations under a separate owner role, see docs/audit.md).
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
        services.AddBrokerSqliteStore(sp => sp.GetRequiredService<BrokerPaths>().SqliteFile);
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

        services.AddBrokerPostgresStore(connectionString);

        // Two roles (docs/audit.md): the owner migrates and grants; the runtime role cannot rewrite the audit trail.
        var ownerConnectionString = configuration.GetConnectionString(OwnerConnectionStringName);
        Func<IServiceProvider, Func<IReadOnlyList<string>>> migrate = string.IsNullOrWhiteSpace(ownerConnectionString)
            ? sp => () => PostgresMigrations.Apply(sp.GetRequiredService<PostgresDatabase>())
            : _ => () => PostgresMigrations.ApplyAsOwner(ownerConnectionString, connectionString);
        services.AddSingleton<StoreInitializer>(sp => new StoreInitializer(() => ApplyWithRetry(migrate(sp), sp.GetRequiredService<ILoggerFactory>())));
        return services;
    }

    /// <summary>
    /// <c>ConnectionStrings:BrokerOwner</c>: when set, migrations run under this (owner) role, which then grants the
    /// role of <c>ConnectionStrings:Broker</c> what it needs, and not UPDATE, DELETE or TRUNCATE on the audit trail.
    /// </summary>
    public const string OwnerConnectionStringName = "BrokerOwner";

    private static IReadOnlyList<string> ApplyWithRetry(Func<IReadOnlyList<string>> apply, ILoggerFactory loggers)
    {
        // A replica may start before the database accepts connections (compose, a restart): wait up to 60 s.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return apply();
            }
            catch (Exception ex) when (PostgresDatabase.IsUnavailable(ex) && DateTime.UtcNow < deadline)
            {
                loggers.CreateLogger("Broker.Startup").LogWarning("PostgreSQL is not reachable yet ({Error}); retrying", ex.GetType().Name);
                Thread.Sleep(1000);
            }
        }
    }
}
