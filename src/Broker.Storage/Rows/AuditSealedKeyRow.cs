using Broker.Vault;

namespace Broker.Storage.Rows;

/// <summary>A row of <c>audit_sealed_keys</c>: a secret key of the audit, sealed.</summary>
public sealed class AuditSealedKeyRow
{
    public byte[] Ciphertext { get; init; } = [];
    public byte[] WrappedKey { get; init; } = [];
    public string KekId { get; init; } = "";

    public SealedValue ToSealedValue() => new(Ciphertext, WrappedKey, KekId);
}
