using Broker.Core;
using Broker.Minting.Signing;
using Microsoft.Extensions.Options;

namespace Broker.Minting.Tokens;

/// <summary>What the two anonymous well-known routes serve.</summary>
public sealed class JwksProvider(SigningKeyManager keys, IOptions<TokenOptions> options)
{
    /// <summary>The JWKS JSON (<c>application/json</c>): the current key and every retired key whose tokens may still be valid; public parameters only.</summary>
    /// <exception cref="BrokerOperationException">Unavailable: the signing keys cannot be loaded.</exception>
    public async ValueTask<string> GetJwksAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = await keys.GetSnapshotAsync(cancellationToken).ConfigureAwait(false);
        return snapshot.JwksJson;
    }

    /// <summary>The discovery document for the configured issuer (the default tenant's).</summary>
    /// <exception cref="BrokerOperationException">Unavailable: <c>Broker:Issuer</c> is not configured.</exception>
    public OpenIdConfiguration GetDiscoveryDocument() => OpenIdConfiguration.For(TokenMinter.IssuerOf(options.Value));

    /// <summary>
    /// The discovery document of <paramref name="tenant"/>'s issuer (<c>&lt;issuer&gt;/tenants/&lt;tenant&gt;</c>), whose
    /// <c>jwks_uri</c> is under that issuer too. The keys are the broker's; the issuer is what keeps tenants apart.
    /// </summary>
    /// <exception cref="ValidationException">Not a tenant name.</exception>
    /// <exception cref="BrokerOperationException">Unavailable: <c>Broker:Issuer</c> is not configured.</exception>
    public OpenIdConfiguration GetDiscoveryDocument(string tenant) =>
        Names.IsValidTenant(tenant)
            ? OpenIdConfiguration.For(TokenMinter.IssuerOf(options.Value, tenant))
            : throw new ValidationException("tenant", "A tenant is 1 to 64 characters of [a-z0-9_.-], starting with a letter or digit.");
}
