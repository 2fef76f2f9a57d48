namespace Broker.Credentials;

/// <summary>Metadata only: never a value.</summary>
public sealed record CredentialSummary(
    string Name,
    string Subject,
    string Kind,
    IReadOnlyDictionary<string, string> Labels,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string AgentAccess = CredentialAccess.Read);
