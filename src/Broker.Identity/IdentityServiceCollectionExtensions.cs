using Broker.Core.Grants;
using Broker.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class IdentityServiceCollectionExtensions
{
    /// <summary>
    /// Trusted issuers and proof of the user (<see cref="IUserProofs"/>): the host must also register an
    /// <see cref="ITrustedIssuerStore"/> and <see cref="IWorkloadProfileStore"/> and the keys capability (<c>AddBrokerKeys</c>); a <see cref="TimeProvider"/>
    /// defaults to the system clock.
    /// </summary>
    public static IServiceCollection AddBrokerIdentity(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(IssuerKeys.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.TryAddSingleton<IssuerKeys>();
        services.TryAddSingleton<JwtChecks>();
        services.TryAddSingleton<IssuerRegistry>();
        services.TryAddSingleton<UserProofVerifier>();
        services.TryAddSingleton<IUserProofs>(sp => sp.GetRequiredService<UserProofVerifier>());

        // Workload login (the store registers IWorkloadProfileStore).
        services.TryAddSingleton<WorkloadProfiles>();
        services.TryAddSingleton<WorkloadLogin>();
        services.AddHostedService<WorkloadKeyPruneService>();
        return services;
    }
}
