namespace Broker.Client.Admin;

/// <summary>A credential's metadata (<c>GET /v1/credentials</c>, <c>PUT</c>): never its value.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Kind"><c>generic</c> or <c>aws</c>.</param>
/// <param name="Version">Its current version.</param>
/// <param name="Subject">The user of a per-user value; null for the shared value.</param>
/// <param name="Labels">Its labels.</param>
/// <param name="CreatedAt">When it was first stored (null in lists).</param>
/// <param name="UpdatedAt">When its value last changed.</param>
/// <param name="AgentAccess">v1.1: <c>read</c> (agents may read the value) or <c>use</c> (the broker uses it on their behalf; it never leaves).</param>
public sealed record BrokerCredentialInfo(
    string Name,
    string Kind,
    int Version,
    string? Subject,
    IReadOnlyDictionary<string, string>? Labels,
    DateTimeOffset? CreatedAt,
    DateTimeOffset UpdatedAt,
    string? AgentAccess = null);
