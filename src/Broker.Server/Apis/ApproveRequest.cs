namespace Broker.Server.Apis;

/// <summary>The body of <c>POST /v1/approvals/{id}/approve</c>: only ever narrower than asked.</summary>
public sealed record ApproveRequest(string? Reason = null, int? TtlSeconds = null, IReadOnlyList<string>? Scopes = null);
