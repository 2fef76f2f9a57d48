using Broker.Credentials;
using Broker.Vault;

namespace Broker.Storage.Rows;

/// <summary>A current value joined with its sealed version, as every store selects it.</summary>
public sealed class CredentialRow
{
    public string Tenant { get; init; } = "";
    public string Name { get; init; } = "";
    public string Subject { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Labels { get; init; } = "{}";

    public string AgentAccess { get; init; } = "read";
    public long Version { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
    public byte[] Ciphertext { get; init; } = [];
    public byte[] WrappedKey { get; init; } = [];
    public string KekId { get; init; } = "";

    public CredentialRecord ToRecord() => new(
        Tenant, Name, Subject, Kind, StoreJson.ReadLabels(Labels), (int)Version, UnixMs.To(CreatedAt), UnixMs.To(UpdatedAt),
        new SealedValue(Ciphertext, WrappedKey, KekId), AgentAccess);
}
