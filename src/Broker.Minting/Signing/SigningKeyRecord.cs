using Broker.Vault;

namespace Broker.Minting.Signing;

/// <summary>
/// A signing key as the store holds it: public JWK in the clear, private key only sealed (envelope encryption,
/// associated data bound to <see cref="Kid"/>, see <see cref="SigningKeyMaterial.AssociatedDataFor"/>).
/// </summary>
/// <param name="Kid">RFC 7638 thumbprint of the public key.</param>
/// <param name="CreatedAt">When the key was generated; the newest unretired key signs.</param>
/// <param name="RetiredAt">When the key stopped signing, or null while it may sign.</param>
/// <param name="ExpiresAt">
/// For a retired key: the time after which no token it signed is valid any more (retirement + the longest token
/// lifetime). The key stays published until this time plus <see cref="SigningOptions.RetirementMargin"/>.
/// </param>
/// <param name="PublicJwk">The public JWK JSON (kty, crv, x, y, kid, use, alg); never a private parameter.</param>
/// <param name="SealedPrivateKey">The PKCS#8 private key, sealed (erased once the key is revoked).</param>
/// <param name="RevokedAt">
/// When the key was retired at once (a compromised key): from then on it is neither published nor trusted, whatever
/// its tokens' lifetimes; null for a key in the ordinary lifecycle.
/// </param>
public sealed record SigningKeyRecord(
    string Kid,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RetiredAt,
    DateTimeOffset? ExpiresAt,
    string PublicJwk,
    SealedValue SealedPrivateKey,
    DateTimeOffset? RevokedAt = null)
{
    /// <summary>Never prints key material, sealed or not.</summary>
    public override string ToString() => $"SigningKeyRecord {{ Kid = {Kid}, CreatedAt = {CreatedAt:O}, RetiredAt = {RetiredAt:O}, RevokedAt = {RevokedAt:O} }}";
}
