using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Vault.AzureKeyVault;

/// <summary>
/// When Key Vault could not be reached at start, the broker serves with <c>/readyz</c> at 503 and this fetches the
/// key again every <see cref="AzureKeyVaultOptions.KekRetryInterval"/> until it has it and it opens the store. A key
/// that Key Vault returns but that does not open the store is refused for good, as at start.
/// </summary>
public sealed class AzureKeyVaultKekRetryService(
    AzureKeyVaultKeyEncryptionKey kek,
    EnvelopeEncryption envelope,
    IVaultCanaryStore canary,
    KeyMaterialHealthCheck health,
    IOptions<AzureKeyVaultOptions> options,
    TimeProvider time,
    ILogger<AzureKeyVaultKekRetryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!health.IsReady)
        {
            await Task.Delay(options.Value.KekRetryInterval, time, stoppingToken).ConfigureAwait(false);
            try
            {
                await kek.LoadAsync(stoppingToken).ConfigureAwait(false);
                await KeyEncryptionKeyCheck.VerifyAsync(envelope, canary, stoppingToken).ConfigureAwait(false);
                health.Ready();
                logger.LogInformation("Key-encryption key {KekId} fetched from Azure Key Vault opens the store", kek.Id);
            }
            catch (KeyEncryptionKeyUnavailableException ex)
            {
                health.Failed($"{ex.Message} Retrying every {options.Value.KekRetryInterval.TotalSeconds:0.###} s.");
                logger.LogWarning("{Problem} Retrying in {Interval}", ex.Message, options.Value.KekRetryInterval);
            }
            catch (KeyEncryptionKeyException ex)
            {
                health.Failed(ex.Message);
                logger.LogCritical("Refusing to serve: {Problem}", ex.Message);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The store's key-check read failed (say, the database restarted): try again next round.
                logger.LogWarning("Checking the key-encryption key against the store failed ({Error}); retrying", ex.GetType().Name);
            }
        }
    }
}
