using Broker.Minting.Signing;
using Broker.Minting.Sts;
using Broker.Minting.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class MintingServiceCollectionExtensions
{
    /// <summary>
    /// Registers signing keys, JWKS, token and STS minting with their audited use cases (<see cref="Broker.Minting.JitMinting"/>, <see cref="SigningKeyAdmin"/>), and the key maintenance hosted service, with options from
    /// <c>Broker:Issuer</c>, <c>Broker:Signing:*</c> and <c>Broker:Aws:*</c>. The host must also register an
    /// <see cref="ISigningKeyStore"/>, a <see cref="Broker.Vault.EnvelopeEncryption"/> and an
    /// <see cref="IAwsBaseCredentialSource"/>; a <see cref="TimeProvider"/> defaults to the system clock.
    /// </summary>
    public static IServiceCollection AddBrokerMinting(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<SigningOptions>()
            .Bind(configuration.GetSection(SigningOptions.SectionName))
            .Validate(o => o.Validate() is null, "Broker:Signing is invalid: RotationInterval >= 1 minute, RefreshInterval > 0, RetirementMargin > RefreshInterval.")
            .ValidateOnStart();
        services.AddOptions<TokenOptions>().Bind(configuration.GetSection(TokenOptions.SectionName));
        services.AddOptions<AwsStsOptions>().Bind(configuration.GetSection(AwsStsOptions.SectionName));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SigningKeyManager>();
        services.TryAddSingleton<JwksProvider>();
        services.TryAddSingleton<TokenMinter>();
        services.TryAddSingleton<StsMinter>();
        services.TryAddSingleton<Broker.Minting.JitMinting>();
        services.TryAddSingleton<SigningKeyAdmin>();
        services.AddHostedService<SigningKeyMaintenanceService>();
        return services;
    }

    /// <summary>Registers the process-local <see cref="InMemorySigningKeyStore"/> (tests, experiments; keys die with the process).</summary>
    public static IServiceCollection AddInMemorySigningKeyStore(this IServiceCollection services)
    {
        services.TryAddSingleton<ISigningKeyStore, InMemorySigningKeyStore>();
        return services;
    }
}
