using Broker.Audit;

namespace Broker.Storage.Rows;

/// <summary>A stored checkpoint; its time is the audit time text that was signed.</summary>
public sealed class AuditCheckpointRow
{
    public string Tenant { get; init; } = "";
    public long Id { get; init; }
    public string Hash { get; init; } = "";
    public string Time { get; init; } = "";
    public string Kid { get; init; } = "";
    public string Signature { get; init; } = "";

    // A time not in the canonical spelling came from outside the writer: MinValue no longer matches the signed payload.
    public AuditCheckpoint ToCheckpoint() =>
        new(Tenant, Id, Hash, AuditTime.TryParse(Time, out var time) ? time : DateTimeOffset.MinValue, Kid, Signature);
}
