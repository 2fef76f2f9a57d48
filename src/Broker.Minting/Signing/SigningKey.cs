using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Minting.Signing;

/// <summary>
/// A decrypted signing key held in memory by <see cref="SigningKeyManager"/>. Only the current key is ever
/// decrypted; retired keys are published from their public JWK alone.
/// </summary>
public sealed class SigningKey
{
    internal SigningKey(string kid, DateTimeOffset createdAt, ECDsa ecdsa)
    {
        Kid = kid;
        CreatedAt = createdAt;
        SecurityKey = new ECDsaSecurityKey(ecdsa) { KeyId = kid };
        Credentials = new SigningCredentials(SecurityKey, SecurityAlgorithms.EcdsaSha256);
    }

    public string Kid { get; }

    public DateTimeOffset CreatedAt { get; }

    internal ECDsaSecurityKey SecurityKey { get; }

    internal SigningCredentials Credentials { get; }

    public override string ToString() => $"SigningKey {{ Kid = {Kid} }}";
}
