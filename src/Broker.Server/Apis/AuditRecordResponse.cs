namespace Broker.Server.Apis;

/// <summary>An audit record on the wire.</summary>
public sealed record AuditRecordResponse(
    string Id, DateTimeOffset Time, string Tenant, AuditActorResponse Actor, string Action, string Target, string Outcome, string? Reason,
    string RequestId, string? ClientAddress, string? UserAgent, string PrevHash, string Hash);

public sealed record AuditActorResponse(string? KeyId, string? Name, string? Role);
