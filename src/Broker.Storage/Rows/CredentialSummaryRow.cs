using Broker.Credentials;

namespace Broker.Storage.Rows;

/// <summary>Credential metadata, never a value.</summary>
public sealed class CredentialSummaryRow
{
    public string Name { get; init; } = "";
    public string Subject { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Labels { get; init; } = "{}";

    public string AgentAccess { get; init; } = "read";
    public long Version { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }

    public CredentialSummary ToSummary() =>
        new(Name, Subject, Kind, StoreJson.ReadLabels(Labels), (int)Version, UnixMs.To(CreatedAt), UnixMs.To(UpdatedAt), AgentAccess);
}
