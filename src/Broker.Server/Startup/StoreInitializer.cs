using Broker.Server.Hosting;

namespace Broker.Server.Startup;

/// <summary>Applies the chosen store's migrations.</summary>
public sealed class StoreInitializer(Func<IReadOnlyList<string>> apply)
{
    public IReadOnlyList<string> Apply() => apply();
}
