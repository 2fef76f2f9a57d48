namespace Broker.Client.Admin;

/// <summary>The result of checking a tenant's hash chain (<c>GET /v1/audit/verify</c>).</summary>
/// <param name="Valid">Whether every record holds.</param>
/// <param name="Count">How many records were read.</param>
/// <param name="BrokenAt">The id of the first record that fails, when one does.</param>
public sealed record BrokerAuditVerification(
    bool Valid,
    long Count,
    long? BrokenAt);
