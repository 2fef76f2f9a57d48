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
        // Once at start, then every interval; a failure (the store down) is logged and the next tick tries again.
        try
        {
            await keys.GetSnapshotAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogFailed(ex);
        }

        await PeriodicWork.RunAsync(options.Value.RefreshInterval, time, ct => keys.GetSnapshotAsync(ct).AsTask(), LogFailed, stoppingToken).ConfigureAwait(false);
    }

    // The manager already logged the cause of its own failures; minting fails closed meanwhile. Anything else is
    // named by its type only.
    private void LogFailed(Exception exception) =>
        logger.LogWarning("Signing key maintenance failed: {Message}",
            exception is BrokerOperationException ? exception.Message : exception.GetType().Name);
}
