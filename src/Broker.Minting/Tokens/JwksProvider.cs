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

    /// <summary>The discovery document for the configured issuer.</summary>
    /// <exception cref="BrokerOperationException">Unavailable: <c>Broker:Issuer</c> is not configured.</exception>
    public OpenIdConfiguration GetDiscoveryDocument() => OpenIdConfiguration.For(TokenMinter.IssuerOf(options.Value));
}
