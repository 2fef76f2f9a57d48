using Broker.Vault;

namespace Broker.Audit;

/// <summary>
/// An audit signing key as the store holds it: the public JWK in the clear, the PKCS#8 private key only sealed
/// (envelope encryption, associated data bound to the kid, see <see cref="AuditKeyManager"/>).
/// </summary>
public sealed record AuditKeyRecord(string Kid, DateTimeOffset CreatedAt, string PublicJwk, SealedValue SealedPrivateKey)
{
    /// <summary>Never prints key material, sealed or not.</summary>
    public override string ToString() => $"AuditKeyRecord {{ Kid = {Kid}, CreatedAt = {CreatedAt:O} }}";
}
