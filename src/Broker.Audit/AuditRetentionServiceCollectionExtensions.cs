using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Audit;

public static class AuditRetentionServiceCollectionExtensions
{
    /// <summary>
    /// Registers retention after <see cref="AuditProofServiceCollectionExtensions.AddBrokerAuditProof"/>: <see cref="AuditRetention"/>
    /// (archives under <c>Broker:Audit:ArchivePath</c>, relative to <c>Broker:DataDir</c>) and the
    /// <see cref="AuditRetentionService"/> (hosted; idle unless <c>Broker:Audit:Retention</c> is set). The host's store
    /// registers <see cref="IAuditRetentionStore"/>.
    /// </summary>
    public static IServiceCollection AddBrokerAuditRetention(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AuditOptions>()
            .Validate(o => o.Retention is null || o.Retention > TimeSpan.Zero, "Broker:Audit:Retention must be positive when set.")
            .Validate(o => o.PruneBatchSize >= 1 && o.RetentionInterval >= TimeSpan.Zero, "Broker:Audit: PruneBatchSize must be at least 1 and RetentionInterval not negative.");

        var archive = ResolveArchivePath(configuration);
        services.TryAddSingleton(sp => new AuditRetention(
            sp.GetRequiredService<IAuditStore>(),
            sp.GetRequiredService<IAuditRetentionStore>(),
            sp.GetRequiredService<AuditKeyManager>(),
            sp.GetRequiredService<AuditTrail>(),
            sp.GetRequiredService<IAuditCheckpointStore>(),
            sp.GetRequiredService<IOptions<AuditOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            archive,
            sp.GetService<AuditCheckpointFile>(),
            sp.GetService<ILogger<AuditRetention>>()));
        services.AddHostedService<AuditRetentionService>();
        return services;
    }

    /// <summary>The full path of the archive directory (<c>Broker:Audit:ArchivePath</c>, default <c>audit-archive</c> under <c>Broker:DataDir</c>).</summary>
    public static string ResolveArchivePath(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration.GetSection(AuditOptions.SectionName)[nameof(AuditOptions.ArchivePath)];
        var path = string.IsNullOrWhiteSpace(configured) ? AuditOptions.DefaultArchivePath : configured;
        var dataDir = configuration["Broker:DataDir"] ?? "data";
        return Path.GetFullPath(Path.IsPathRooted(path) || string.IsNullOrWhiteSpace(dataDir) ? path : Path.Combine(dataDir, path));
    }
}
