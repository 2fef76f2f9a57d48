namespace Broker.Audit;

/// <summary>
/// What <see cref="AuditFileVerifier"/> found: per tenant the answer <c>POST /v1/audit/verify</c> would give for the
/// records and checkpoints in the files; <see cref="MalformedLines"/> counts lines that are neither a record nor a
/// checkpoint (any makes the whole result invalid: a line was damaged or inserted).
/// </summary>
public sealed record AuditFileVerification(bool Valid, IReadOnlyDictionary<string, AuditVerification> Tenants, long Records, int Checkpoints, int MalformedLines);
