using Broker.Core;
using Broker.Audit;
using Broker.Credentials;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Vault.AzureKeyVault;

/// <summary>
/// Every <see cref="AzureKeyVaultOptions.SyncInterval"/>, syncs every sourced credential of every tenant
/// (<see cref="AzureKeyVaultCredentialSync"/>). A new version is recorded in the audit trail first
/// (<c>credential.sync</c>, actor <c>azure-keyvault-sync</c>): when the trail is down, nothing is written.
/// </summary>
public sealed class AzureKeyVaultSyncService(
    AzureKeyVaultCredentialSync sync,
    ICredentialSourceStore sources,
    KeyMaterialHealthCheck keyMaterial,
    IAuditLog audit,
    IOptions<AzureKeyVaultOptions> options,
    TimeProvider time,
    ILogger<AzureKeyVaultSyncService> logger) : BackgroundService
{
    /// <summary>Who the background sync acts as in the audit trail.</summary>
    public static readonly AuditActor Actor = new(null, "azure-keyvault-sync", "system");

    // A failed round (the store down while listing, a Key Vault call that timed out) is logged by its type only and
    // tried again at the next tick; any other failure of one source is handled in SyncOneAsync and ends no round.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicWork.RunAsync(options.Value.SyncInterval, time, SyncAllAsync,
            ex => logger.LogWarning("A Key Vault sync round failed ({Error}); trying again next round", ex.GetType().Name),
            stoppingToken);

    private async Task SyncAllAsync(CancellationToken cancellationToken)
    {
        if (!keyMaterial.IsReady)
        {
            return;
        }

        foreach (var source in await sources.ListAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await SyncOneAsync(source, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SyncOneAsync(CredentialSource source, CancellationToken cancellationToken)
    {
        var requestId = "sync-" + Guid.NewGuid().ToString("n");
        try
        {
            var (synced, _) = await sync.SyncAsync(source, token => audit.RecordAsync(
                new AuditEntry(source.Tenant, Actor, AuditActions.CredentialSync, source.Name, AuditOutcomes.Allowed, "changed in Key Vault", requestId), token),
                cancellationToken).ConfigureAwait(false);
            if (synced.SyncStatus == CredentialSyncStatus.Error)
            {
                logger.LogWarning("Sync of credential {Name} (tenant {Tenant}) failed: {Problem}", source.Name, source.Tenant, synced.SyncError);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The audit trail, the store or the key material is down: the value stays as it is; the next round tries again.
            logger.LogWarning("Sync of credential {Name} (tenant {Tenant}) failed ({Error}); trying again next round", source.Name, source.Tenant, ex.GetType().Name);
        }
    }
}
