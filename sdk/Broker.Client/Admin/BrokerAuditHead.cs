namespace Broker.Client.Admin;

/// <summary>A chain head signed by the broker's audit key (v1.1 <c>GET /v1/audit/head</c>), also a checkpoint.</summary>
/// <param name="Tenant">The tenant.</param>
/// <param name="Id">The head record's id.</param>
/// <param name="Hash">The head record's hash.</param>
/// <param name="Time">When it was written.</param>
/// <param name="Kid">The audit key that signed it.</param>
/// <param name="Signature">A compact JWS (ES256) over <c>{tenant, id, hash, time}</c>.</param>
public sealed record BrokerAuditHead(
    string Tenant,
    long Id,
    string Hash,
    DateTimeOffset Time,
    string Kid,
    string Signature);
