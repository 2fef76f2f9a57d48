using Broker.Minting.Signing;
using Broker.Vault;

namespace Broker.Storage.Rows;

/// <summary>A signing key's row: public JWK and the sealed private key.</summary>
public sealed class SigningKeyRow
{
    public string Kid { get; init; } = "";
    public long CreatedAt { get; init; }
    public long? RetiredAt { get; init; }
    public long? ExpiresAt { get; init; }
    public string PublicJwk { get; init; } = "";
    public byte[] Ciphertext { get; init; } = [];
    public byte[] WrappedKey { get; init; } = [];
    public string KekId { get; init; } = "";
    public long? RevokedAt { get; init; }

    public SigningKeyRecord ToRecord() => new(
        Kid, UnixMs.To(CreatedAt), UnixMs.To(RetiredAt), UnixMs.To(ExpiresAt), PublicJwk, new SealedValue(Ciphertext, WrappedKey, KekId), UnixMs.To(RevokedAt));
}
