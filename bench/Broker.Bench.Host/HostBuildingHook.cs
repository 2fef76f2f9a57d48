using System.Diagnostics;

namespace Broker.Bench.Host;

/// <summary>
/// Adds service registrations to a host while it is being built, through the "HostBuilding" event that
/// Microsoft.Extensions.Hosting writes to its diagnostic listener (as WebApplicationFactory does), so the server's
/// Program runs unchanged.
/// </summary>
internal sealed class HostBuildingHook(Action<IServiceCollection> configure) : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly List<IDisposable> _subscriptions = [];

    public static HostBuildingHook Subscribe(Action<IServiceCollection> configure)
    {
        var hook = new HostBuildingHook(configure);
        hook._subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(hook));
        return hook;
    }

    public void OnNext(DiagnosticListener value)
    {
        if (value.Name == "Microsoft.Extensions.Hosting")
        {
            _subscriptions.Add(value.Subscribe(this));
        }
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key == "HostBuilding" && value.Value is IHostBuilder builder)
        {
            builder.ConfigureServices((_, services) => configure(services));
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
    }
}
