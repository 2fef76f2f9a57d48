using Microsoft.Extensions.Hosting;

namespace Broker.Keys;

/// <summary>Runs this replica's revocation follower (postgres store only).</summary>
public sealed class KeyEventFollowerService(KeyEventFollower follower) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => follower.RunAsync(stoppingToken);
}
