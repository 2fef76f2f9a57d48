using Broker.Keys;

namespace Broker.Server.Hosting;

/// <summary>Runs this replica's revocation follower (postgres store only).</summary>
public sealed class KeyEventFollowerService(KeyEventFollower follower) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => follower.RunAsync(stoppingToken);
}
