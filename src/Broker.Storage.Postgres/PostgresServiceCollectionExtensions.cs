using Broker.Approvals;
using Broker.Audit;
using Broker.Credentials;
using Broker.Identity;
using Broker.Keys;
using Broker.Minting.Signing;
using Broker.Storage;
using Broker.Storage.Postgres;
using Broker.Storage.Postgres.Approvals;
using Broker.Storage.Postgres.Audit;
using Broker.Storage.Postgres.Credentials;
using Broker.Storage.Postgres.Identity;
using Broker.Storage.Postgres.Keys;
using Broker.Storage.Postgres.Replicas;
using Broker.Storage.Postgres.SigningKeys;
using Broker.Vault;

namespace Microsoft.Extensions.DependencyInjection;

public static class PostgresServiceCollectionExtensions
{
    /// <summary>
    /// PostgreSQL shared by replicas: every store interface, limits counted in the database, the key cache under a
    /// lease renewed by the revocation follower (<c>AddBrokerKeyCacheLease</c>), revokes waiting for the other
    /// replicas, LISTEN/NOTIFY for credential changes and key events (docs/replicas.md), and the <c>store</c>
    /// readiness check. The host applies <see cref="PostgresMigrations"/> before serving.
    /// </summary>
    public static IServiceCollection AddBrokerPostgresStore(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        services.AddSingleton(_ => new PostgresDatabase(connectionString));
        services.AddSingleton<ICredentialStore, PostgresCredentialStore>();
        services.AddSingleton<IVaultCanaryStore, PostgresVaultCanaryStore>();
        services.AddSingleton<ICredentialSourceStore, PostgresCredentialSourceStore>();
        services.AddSingleton<IKeyStore, PostgresKeyStore>();
        services.AddSingleton<ISigningKeyStore, PostgresSigningKeyStore>();
        services.AddSingleton<ITrustedIssuerStore, PostgresTrustedIssuerStore>();
        services.AddSingleton<IWorkloadProfileStore, PostgresWorkloadProfileStore>();
        services.AddSingleton<IApprovalStore, PostgresApprovalStore>();
        services.AddHostedService<PostgresApprovalListener>();
        services.AddSingleton<IAuditStore, PostgresAuditStore>();
        services.AddSingleton<PostgresAuditProofStore>();
        services.AddSingleton<IAuditKeyStore>(sp => sp.GetRequiredService<PostgresAuditProofStore>());
        services.AddSingleton<IAuditSealedKeyStore>(sp => sp.GetRequiredService<PostgresAuditProofStore>());
        services.AddSingleton<IAuditCheckpointStore>(sp => sp.GetRequiredService<PostgresAuditProofStore>());
        services.AddSingleton<IAuditRetentionStore, PostgresAuditRetentionStore>();
        services.AddSingleton<IUsageLimiter, PostgresUsageLimiter>();
        services.AddHealthChecks().AddCheck<PostgresStoreHealthCheck>(StoreHealth.CheckName);

        // Replicas appending to one tenant's chain collide on (tenant, id) whenever another replica committed since
        // this one's cached head; each collision costs one failed INSERT, a re-read of the head and a retry (the chain
        // never forks). Under a hot tenant on several replicas that happens often, so allow many more retries than
        // one process needs (docs/replicas.md).
        services.PostConfigure<AuditOptions>(o => o.AppendAttempts = Math.Max(o.AppendAttempts, 64));

        // Replica coordination (docs/replicas.md).
        services.AddBrokerKeyCacheLease();
        services.AddSingleton<PostgresReplicaRegistry>();
        services.AddSingleton<IReplicaHeartbeat>(sp => sp.GetRequiredService<PostgresReplicaRegistry>());
        services.AddSingleton<IRevocationBarrier>(sp => sp.GetRequiredService<PostgresReplicaRegistry>());
        services.AddSingleton<PostgresNotificationListener>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresNotificationListener>());
        return services;
    }
}
