namespace Broker.Server.Apis;

/// <summary>The body of <c>POST /v1/approvals/{id}/deny</c>.</summary>
public sealed record DenyRequest(string? Reason);
