using Broker.Approvals;

namespace Broker.Server.Apis;

/// <summary>An approval as the contract shows it (API.md v1.1 "Approvals"), with what it narrowed and whether it was used.</summary>
public sealed record ApprovalResponse(
    string Id, string Status, string Kind, string Target, IReadOnlyList<string> Scopes, string? RoleArn, string? OnBehalfOf, string? Task,
    string RequestedBy, string? DecidedBy, DateTimeOffset? DecidedAt, string? Reason, DateTimeOffset ExpiresAt,
    DateTimeOffset CreatedAt, int? LifetimeSeconds, int? TtlSeconds, IReadOnlyList<string>? GrantedScopes, DateTimeOffset? ConsumedAt)
{
    public static ApprovalResponse From(Approval approval, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(approval);
        var ask = approval.Ask;
        return new(approval.Id, approval.StatusAt(now), ask.Kind, ask.Target, ask.Scopes, ask.RoleArn, ask.OnBehalfOf, ask.Task, approval.RequestedBy,
            approval.DecidedBy, approval.DecidedAt, approval.Reason, approval.ExpiresAt, approval.CreatedAt, ask.LifetimeSeconds,
            approval.GrantedLifetimeSeconds, approval.GrantedScopes, approval.ConsumedAt);
    }
}
