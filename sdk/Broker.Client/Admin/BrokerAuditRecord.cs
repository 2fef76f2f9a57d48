namespace Broker.Client.Admin;

/// <summary>One hash-chained audit record (<c>GET /v1/audit</c>). Never holds a secret value or key.</summary>
/// <param name="Id">Its position in the tenant's chain: 1, 2, 3 … without gaps.</param>
/// <param name="Time">When it was written.</param>
/// <param name="Tenant">The tenant.</param>
/// <param name="Actor">Who acted.</param>
/// <param name="Action">What was done, e.g. <c>credential.read</c>.</param>
/// <param name="Target">What it was done to.</param>
/// <param name="Outcome"><c>allowed</c>, <c>denied</c> or <c>error</c>.</param>
/// <param name="Reason">Why, as a compact list of codes and pairs.</param>
/// <param name="RequestId">The request it belongs to.</param>
/// <param name="ClientAddress">The client's address, when recorded.</param>
/// <param name="UserAgent">The client's user agent, when recorded.</param>
/// <param name="ValueHmac">The keyed HMAC of a value that was served.</param>
/// <param name="PrevHash">The previous record's hash.</param>
/// <param name="Hash">This record's hash.</param>
public sealed record BrokerAuditRecord(
    long Id,
    DateTimeOffset Time,
    string Tenant,
    BrokerAuditActor Actor,
    string Action,
    string Target,
    string Outcome,
    string? Reason,
    string RequestId,
    string? ClientAddress,
    string? UserAgent,
    string? ValueHmac,
    string PrevHash,
    string Hash);
