using Broker.Audit;
using Broker.Vault;

namespace Broker.Storage.Rows;

/// <summary>An audit signing key's row: public JWK and the sealed private key.</summary>
public sealed class AuditKeyRow
{
    public string Kid { get; init; } = "";
    public long CreatedAt { get; init; }
    public string PublicJwk { get; init; } = "";
    public byte[] Ciphertext { get; init; } = [];
    public byte[] WrappedKey { get; init; } = [];
    public string KekId { get; init; } = "";

    public AuditKeyRecord ToRecord() => new(Kid, UnixMs.To(CreatedAt), PublicJwk, new SealedValue(Ciphertext, WrappedKey, KekId));
}
