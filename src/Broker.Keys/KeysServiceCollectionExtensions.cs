using Broker.Keys;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class KeysServiceCollectionExtensions
{
    /// <summary>
    /// Registers inbound keys: <see cref="KeyService"/> and its audited use cases (<see cref="KeyAdmin"/>), <see cref="KeyAuthenticator"/> (the cached verify path),
    /// <see cref="UsageTracker"/> and the <see cref="UsageFlushService"/> that writes its last-use stamps. The store
    /// registers the <see cref="IKeyStore"/> and <see cref="IUsageLimiter"/>, and, when several replicas share it,
    /// <see cref="AddBrokerKeyCacheLease"/>; a <see cref="TimeProvider"/> defaults to the system clock.
    /// </summary>
    public static IServiceCollection AddBrokerKeys(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<KeyAuthenticator>();
        services.TryAddSingleton<UsageTracker>();
        services.TryAddSingleton<KeyGate>();
        services.TryAddSingleton<KeyService>();
        services.TryAddSingleton<KeyAdmin>();
        services.AddHostedService<UsageFlushService>();
        return services;
    }

    /// <summary>
    /// For a store shared by replicas: the key cache answers only under a lease (<c>Broker:Replicas:*</c>,
    /// <see cref="KeyLeaseOptions"/>) that this replica's <see cref="KeyEventFollower"/> renews by catching up on the
    /// revocation log (docs/replicas.md). The store registers the <see cref="IReplicaHeartbeat"/> and
    /// <see cref="IRevocationBarrier"/>.
    /// </summary>
    public static IServiceCollection AddBrokerKeyCacheLease(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<KeyLeaseOptions>().BindConfiguration(KeyLeaseOptions.Section);
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<KeyLeaseOptions>>().Value);
        services.TryAddSingleton(sp => new KeyCacheLease(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<KeyLeaseOptions>().Lease));
        services.TryAddSingleton<IKeyCacheLease>(sp => sp.GetRequiredService<KeyCacheLease>());
        services.TryAddSingleton<KeyEventFollower>();
        services.AddHostedService<KeyEventFollowerService>();
        return services;
    }
}
