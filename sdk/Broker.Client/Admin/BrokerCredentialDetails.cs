namespace Broker.Client.Admin;

/// <summary>A credential with its versions (<c>GET /v1/credentials/{name}</c>): never a value.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Kind"><c>generic</c> or <c>aws</c>.</param>
/// <param name="Version">Its current version.</param>
/// <param name="Subject">The user of a per-user value; null for the shared value.</param>
/// <param name="Labels">Its labels.</param>
/// <param name="CreatedAt">When it was first stored.</param>
/// <param name="UpdatedAt">When its value last changed.</param>
/// <param name="Versions">Every version kept.</param>
/// <param name="SyncStatus">v1.1, for a credential copied from Key Vault: <c>ok</c> or <c>error</c>.</param>
/// <param name="LastSyncedAt">v1.1: the last successful copy.</param>
/// <param name="SyncError">v1.1: why the last copy failed.</param>
/// <param name="AgentAccess">v1.1: <c>read</c> (agents may read the value) or <c>use</c> (the broker uses it on their behalf; it never leaves).</param>
public sealed record BrokerCredentialDetails(
    string Name,
    string Kind,
    int Version,
    string? Subject,
    IReadOnlyDictionary<string, string>? Labels,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<BrokerCredentialVersion> Versions,
    string? SyncStatus,
    DateTimeOffset? LastSyncedAt,
    string? SyncError,
    string? AgentAccess = null);
