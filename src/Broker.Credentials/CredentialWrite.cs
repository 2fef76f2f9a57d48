namespace Broker.Credentials;

/// <summary>A write of one value. A null <see cref="Kind"/>, <see cref="Labels"/> or <see cref="AgentAccess"/> keeps the current one (generic and none for a new value). <see cref="IfMatchVersion"/> makes it conditional on the current version.</summary>
public sealed record CredentialWrite(
    string Tenant,
    string Name,
    string Subject,
    string? Kind,
    IReadOnlyDictionary<string, string>? Labels,
    int? IfMatchVersion,
    DateTimeOffset Now,
    string? AgentAccess = null);
