namespace Broker.Core.Grants;

/// <summary>Which requests of an agent key wait for a human: token scopes, STS roles, credential reads, by pattern.</summary>
public sealed record ApprovalGrant(IReadOnlyList<string>? Scopes = null, IReadOnlyList<string>? Roles = null, IReadOnlyList<string>? Credentials = null)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsEmpty => (Scopes?.Count ?? 0) == 0 && (Roles?.Count ?? 0) == 0 && (Credentials?.Count ?? 0) == 0;
}
