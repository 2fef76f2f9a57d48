using Broker.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Keys;

/// <summary>Writes coalesced last-use stamps once a second, and once more at shutdown.</summary>
public sealed class UsageFlushService(UsageTracker usage, ILogger<UsageFlushService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await PeriodicWork.RunAsync(TimeSpan.FromSeconds(1), TimeProvider.System, usage.FlushAsync, LogFailed, stoppingToken);

        // Once more at shutdown: the stamps since the last tick.
        try
        {
            await usage.FlushAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogFailed(ex);
        }
    }

    private void LogFailed(Exception exception) =>
        logger.LogWarning(exception, "Writing last-use stamps failed; they are kept for the next attempt");
}
