using Broker.Credentials;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class CredentialsServiceCollectionExtensions
{
    /// <summary>
    /// Registers outbound credentials: <see cref="CredentialService"/> (versions, subjects, the change feed), its use
    /// cases (<see cref="CredentialAdmin"/> for admins, <see cref="AgentCredentialFeed"/> for agents, both recording
    /// through the audit trail), and the in-process <see cref="CredentialChangeSignal"/> that wakes long-polls. The host
    /// registers the <see cref="ICredentialStore"/> with its store, the vault (<c>AddBrokerVault</c> and a
    /// key-encryption key) and the audit (<c>AddBrokerAudit</c>); <see cref="AgentFeedOptions"/> binds where the host
    /// says; a <see cref="TimeProvider"/> defaults to the system clock.
    /// </summary>
    public static IServiceCollection AddBrokerCredentials(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<AgentFeedOptions>();
        services.TryAddSingleton<CredentialChangeSignal>();
        services.TryAddSingleton<CredentialService>();
        services.TryAddSingleton<LongPollLimiter>();
        services.TryAddSingleton<AgentCredentialFeed>();
        services.TryAddSingleton<CredentialAdmin>();
        return services;
    }
}
