namespace Broker.Audit;

/// <summary>
/// One decision to record. <see cref="Target"/> names what was acted on (a credential name, a key id, an
/// audience); never a secret value or a presented key. Where a value must be matchable later, pass its keyed
/// HMAC in <see cref="ValueHmac"/>, never the value.
/// </summary>
public sealed record AuditEntry(
    string Tenant,
    AuditActor Actor,
    string Action,
    string Target,
    string Outcome,
    string? Reason,
    string RequestId,
    string? ClientAddress = null,
    string? UserAgent = null,
    string? ValueHmac = null);
