namespace Broker.Server.Apis;

/// <summary>The answer of <c>POST /v1/credentials/{name}/sync</c>: the version now current and how the sync went (never the value).</summary>
public sealed record CredentialSyncResponse(
    string Name, int? Version, CredentialSourceResponse Source, string? SyncStatus, DateTimeOffset? LastSyncedAt, string? SyncError);
