namespace Broker.Client.Admin;

/// <summary>A request waiting for, or given, a person's decision (v1.1 approvals).</summary>
/// <param name="Id">The approval's id.</param>
/// <param name="Status"><c>pending</c>, <c>approved</c>, <c>denied</c> or <c>expired</c>.</param>
/// <param name="Kind">What was asked: a token, STS credentials or a credential read.</param>
/// <param name="Target">The audience, role or credential.</param>
/// <param name="Scopes">The token scopes asked for.</param>
/// <param name="RoleArn">The role asked for.</param>
/// <param name="OnBehalfOf">The user acted for.</param>
/// <param name="Task">The task.</param>
/// <param name="RequestedBy">The key that asked.</param>
/// <param name="DecidedBy">The key that decided.</param>
/// <param name="DecidedAt">When it was decided.</param>
/// <param name="Reason">The reason given.</param>
/// <param name="ExpiresAt">When a pending request expires.</param>
public sealed record BrokerApproval(
    string Id,
    string Status,
    string? Kind,
    string? Target,
    IReadOnlyList<string>? Scopes,
    string? RoleArn,
    string? OnBehalfOf,
    string? Task,
    string? RequestedBy,
    string? DecidedBy,
    DateTimeOffset? DecidedAt,
    string? Reason,
    DateTimeOffset? ExpiresAt);
