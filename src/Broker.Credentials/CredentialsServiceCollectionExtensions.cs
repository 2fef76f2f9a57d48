using Broker.Credentials;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class CredentialsServiceCollectionExtensions
{
    /// <summary>
    /// Registers outbound credentials: <see cref="CredentialService"/> (versions, subjects, the change feed) and the
    /// in-process <see cref="CredentialChangeSignal"/> that wakes long-polls. The host registers the
    /// <see cref="ICredentialStore"/> with its store and the vault (<c>AddBrokerVault</c> and a key-encryption key); a
    /// <see cref="TimeProvider"/> defaults to the system clock.
    /// </summary>
    public static IServiceCollection AddBrokerCredentials(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CredentialChangeSignal>();
        services.TryAddSingleton<CredentialService>();
        return services;
    }
}
