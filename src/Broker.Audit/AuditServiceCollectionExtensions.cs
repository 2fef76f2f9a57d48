using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Audit;

public static class AuditServiceCollectionExtensions
{
    /// <summary>
    /// Registers the audit trail: <see cref="GroupCommitAuditLog"/> as <see cref="IAuditLog"/> (drained on host stop by
    /// <see cref="AuditLogLifetime"/>), <see cref="AuditVerifier"/>, <see cref="AuditQueries"/>, <see cref="AuditValueHmac"/>, <see cref="AuditTrail"/> (what every decision records),
    /// and the JSONL sink when <c>Broker:Audit:JsonlPath</c> is set. The host registers the <see cref="IAuditStore"/>
    /// (its storage choice). Options (<c>Broker:Audit:*</c>): <c>QueueCapacity</c>, <c>MaxBatchSize</c>,
    /// <c>EnqueueTimeout</c>, <c>AppendAttempts</c>, <c>JsonlPath</c> (relative to <c>Broker:DataDir</c> when set),
    /// <c>JsonlMaxBytes</c>, <c>JsonlMaxFiles</c>, <c>SinkQueueCapacity</c>, <c>ValueReadsPerMinute</c>, <c>ValueHmacKey</c> (base64, 32+ bytes;
    /// otherwise the key is kept sealed in the store, <see cref="SealedValueHmacKeySource"/>, for which the host registers
    /// <see cref="IAuditSealedKeyStore"/> and the vault's envelope encryption).
    /// </summary>
    public static IServiceCollection AddBrokerAudit(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<AuditOptions>()
            .Bind(configuration.GetSection(AuditOptions.SectionName))
            .Validate(o => o.QueueCapacity >= 1 && o.MaxBatchSize >= 1 && o.AppendAttempts >= 1 && o.EnqueueTimeout >= TimeSpan.Zero,
                "Broker:Audit: QueueCapacity, MaxBatchSize and AppendAttempts must be at least 1 and EnqueueTimeout not negative.")
            .Validate(o => o.JsonlMaxBytes >= 1024 && o.JsonlMaxFiles >= 1,
                "Broker:Audit: JsonlMaxBytes must be at least 1024 and JsonlMaxFiles at least 1.")
            .Validate(o => o.ValueReadsPerMinute >= 1, "Broker:Audit:ValueReadsPerMinute must be at least 1.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new GroupCommitAuditLog(
            sp.GetRequiredService<IAuditStore>(),
            sp.GetServices<IAuditSink>(),
            sp.GetRequiredService<IOptions<AuditOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<GroupCommitAuditLog>>()));
        // Add, not TryAdd: replaces a placeholder IAuditLog registered earlier.
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<GroupCommitAuditLog>());
        services.AddHostedService<AuditLogLifetime>();
        services.TryAddSingleton<AuditVerifier>();
        services.TryAddSingleton<AuditQueries>();
        services.TryAddSingleton<AuditValueHmac>();
        services.TryAddSingleton<AuditTrail>();

        var section = configuration.GetSection(AuditOptions.SectionName);
        var jsonlPath = section[nameof(AuditOptions.JsonlPath)];
        if (!string.IsNullOrWhiteSpace(jsonlPath))
        {
            var dataDir = configuration["Broker:DataDir"];
            var path = Path.IsPathRooted(jsonlPath) || string.IsNullOrWhiteSpace(dataDir) ? jsonlPath : Path.Combine(dataDir, jsonlPath);
            services.AddSingleton<IAuditSink>(sp =>
            {
                var o = sp.GetRequiredService<IOptions<AuditOptions>>().Value;
                return new JsonlFileAuditSink(path, o.JsonlMaxBytes, o.JsonlMaxFiles);
            });
        }

        var hmacKey = section[nameof(AuditOptions.ValueHmacKey)];
        if (!string.IsNullOrWhiteSpace(hmacKey))
        {
            services.TryAddSingleton<IValueHmacKeySource>(_ => StaticValueHmacKeySource.FromBase64(hmacKey));
        }
        else
        {
            // The key is kept sealed in the store (IAuditSealedKeyStore and EnvelopeEncryption come from the host), seeded
            // on first start with the key derived from the master key when one is set, so earlier records stay findable.
            var masterKey = configuration["Broker:MasterKey"];
            if (!string.IsNullOrWhiteSpace(masterKey))
            {
                services.TryAddSingleton<IValueHmacKeySeed>(new DerivedValueHmacKeySeed(masterKey));
            }

            services.TryAddSingleton(sp => new SealedValueHmacKeySource(
                sp.GetRequiredService<IAuditSealedKeyStore>(),
                sp.GetRequiredService<Broker.Vault.EnvelopeEncryption>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<IValueHmacKeySeed>(),
                sp.GetService<ILogger<SealedValueHmacKeySource>>()));
            services.TryAddSingleton<IValueHmacKeySource>(sp => sp.GetRequiredService<SealedValueHmacKeySource>());
        }

        return services;
    }
}
