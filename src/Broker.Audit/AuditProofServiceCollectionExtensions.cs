using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Audit;

public static class AuditProofServiceCollectionExtensions
{
    /// <summary>
    /// Registers signed checkpoints after <see cref="AuditServiceCollectionExtensions.AddBrokerAudit"/>:
    /// <see cref="AuditKeyManager"/>, <see cref="AuditProof"/>, the <see cref="AuditCheckpointWriter"/> (hosted) and the
    /// <see cref="AuditCheckpointFile"/> at <c>Broker:Audit:CheckpointPath</c> (relative to <c>Broker:DataDir</c>;
    /// <c>off</c> for none). The host registers <see cref="IAuditKeyStore"/>, <see cref="IAuditCheckpointStore"/> (its
    /// store) and the vault's <see cref="Broker.Vault.EnvelopeEncryption"/>.
    /// </summary>
    public static IServiceCollection AddBrokerAuditProof(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AuditOptions>()
            .Validate(o => o.CheckpointInterval >= TimeSpan.Zero, "Broker:Audit:CheckpointInterval must not be negative.");

        var path = ResolveCheckpointPath(configuration);
        if (path is not null)
        {
            services.TryAddSingleton(_ => new AuditCheckpointFile(path));
        }

        services.TryAddSingleton(sp => new AuditKeyManager(
            sp.GetRequiredService<IAuditKeyStore>(),
            sp.GetRequiredService<Broker.Vault.EnvelopeEncryption>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<AuditKeyManager>>()));
        services.TryAddSingleton(sp => new AuditProof(
            sp.GetRequiredService<IAuditStore>(),
            sp.GetRequiredService<IAuditCheckpointStore>(),
            sp.GetRequiredService<AuditKeyManager>(),
            sp.GetRequiredService<AuditVerifier>(),
            sp.GetService<AuditCheckpointFile>()));
        services.TryAddSingleton<AuditChecks>();
        services.TryAddSingleton(sp => new AuditCheckpointWriter(
            sp.GetRequiredService<GroupCommitAuditLog>(),
            sp.GetRequiredService<AuditKeyManager>(),
            sp.GetRequiredService<IAuditCheckpointStore>(),
            sp.GetRequiredService<IOptions<AuditOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<AuditCheckpointWriter>>(),
            sp.GetService<AuditCheckpointFile>()));
        services.AddHostedService(sp => sp.GetRequiredService<AuditCheckpointWriter>());
        return services;
    }

    /// <summary>The full path of the checkpoint file, or null when <c>Broker:Audit:CheckpointPath</c> is <c>off</c> (or empty).</summary>
    public static string? ResolveCheckpointPath(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration.GetSection(AuditOptions.SectionName)[nameof(AuditOptions.CheckpointPath)];
        var path = configured ?? AuditOptions.DefaultCheckpointPath;
        if (string.IsNullOrWhiteSpace(path) || string.Equals(path.Trim(), "off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        // "data" is the host's default Broker:DataDir, where the database itself lives.
        var dataDir = configuration["Broker:DataDir"] ?? "data";
        return Path.GetFullPath(Path.IsPathRooted(path) || string.IsNullOrWhiteSpace(dataDir) ? path : Path.Combine(dataDir, path));
    }
}
