namespace Broker.Server.Apis;

public sealed record ApprovalListResponse(IReadOnlyList<ApprovalResponse> Items);
