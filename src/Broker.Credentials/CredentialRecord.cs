using Broker.Vault;

namespace Broker.Credentials;

/// <summary>The current state of one (tenant, name, subject) value, with its sealed value. Subject "" is the shared value.</summary>
public sealed record CredentialRecord(
    string Tenant,
    string Name,
    string Subject,
    string Kind,
    IReadOnlyDictionary<string, string> Labels,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    SealedValue Value,
    string AgentAccess = CredentialAccess.Read);
