using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Keys;

/// <summary>Writes coalesced last-use stamps once a second, and once more at shutdown.</summary>
public sealed class UsageFlushService(UsageTracker usage, ILogger<UsageFlushService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }

        await FlushAsync(CancellationToken.None);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await usage.FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Writing last-use stamps failed; they are kept for the next attempt");
        }
    }
}
