using Broker.Approvals;
using Broker.Audit;
using Broker.Credentials;
using Broker.Identity;
using Broker.Keys;
using Broker.Minting.Signing;
using Broker.Storage;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Approvals;
using Broker.Storage.Sqlite.Audit;
using Broker.Storage.Sqlite.Credentials;
using Broker.Storage.Sqlite.Identity;
using Broker.Storage.Sqlite.Keys;
using Broker.Storage.Sqlite.SigningKeys;
using Broker.Vault;

namespace Microsoft.Extensions.DependencyInjection;

public static class SqliteServiceCollectionExtensions
{
    /// <summary>
    /// The embedded store: one SQLite file (<paramref name="databaseFile"/>, resolved when first opened) behind every
    /// store interface, limits counted in memory, no replica coordination, and the <c>store</c> readiness check. The
    /// host applies <see cref="SqliteMigrations"/> before serving.
    /// </summary>
    public static IServiceCollection AddBrokerSqliteStore(this IServiceCollection services, Func<IServiceProvider, string> databaseFile)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(databaseFile);

        services.AddSingleton(sp => new SqliteDatabase(databaseFile(sp)));
        services.AddSingleton<ICredentialStore, SqliteCredentialStore>();
        services.AddSingleton<IVaultCanaryStore, SqliteVaultCanaryStore>();
        services.AddSingleton<ICredentialSourceStore, SqliteCredentialSourceStore>();
        services.AddSingleton<IKeyStore, SqliteKeyStore>();
        services.AddSingleton<ISigningKeyStore, SqliteSigningKeyStore>();
        services.AddSingleton<ITrustedIssuerStore, SqliteTrustedIssuerStore>();
        services.AddSingleton<IWorkloadProfileStore, SqliteWorkloadProfileStore>();
        services.AddSingleton<IApprovalStore, SqliteApprovalStore>();
        services.AddSingleton<IAuditStore>(sp => new SqliteAuditStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<SqliteAuditProofStore>();
        services.AddSingleton<IAuditKeyStore>(sp => sp.GetRequiredService<SqliteAuditProofStore>());
        services.AddSingleton<IAuditSealedKeyStore>(sp => sp.GetRequiredService<SqliteAuditProofStore>());
        services.AddSingleton<IAuditCheckpointStore>(sp => sp.GetRequiredService<SqliteAuditProofStore>());
        services.AddSingleton<IAuditRetentionStore, SqliteAuditRetentionStore>();
        services.AddSingleton<IUsageLimiter, InMemoryUsageLimiter>();
        services.AddHealthChecks().AddCheck<SqliteStoreHealthCheck>(StoreHealth.CheckName);
        return services;
    }
}
