namespace Broker.Server.Hosting;

/// <summary>Whether the store answers now (for /readyz).</summary>
public interface IStoreHealth
{
    Task<bool> IsHealthyAsync(CancellationToken cancellationToken);
}
