using Broker.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Minting.Signing;

/// <summary>
/// Loads the keys at start (creating the first one) and keeps an idle replica's view fresh, so scheduled rotation
/// and retirement happen even when nothing is minted. Correctness does not depend on it: every
/// <see cref="SigningKeyManager.GetSnapshotAsync"/> checks the clock itself.
/// </summary>
public sealed class SigningKeyMaintenanceService(
    SigningKeyManager keys,
    IOptions<SigningOptions> options,
    TimeProvider time,
    ILogger<SigningKeyMaintenanceService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        do
        {
            try
            {
                await keys.GetSnapshotAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (BrokerOperationException ex)
            {
                // Already logged with its cause by the manager; minting fails closed meanwhile.
                logger.LogWarning("Signing key maintenance failed: {Message}", ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
