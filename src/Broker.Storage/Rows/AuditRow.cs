using Broker.Audit;

namespace Broker.Storage.Rows;

/// <summary>An audit record's row; its time is the canonical text that was hashed.</summary>
public sealed class AuditRow
{
    public string Tenant { get; set; } = string.Empty;
    public long Id { get; set; }
    public string Time { get; set; } = string.Empty;
    public string? ActorKeyId { get; set; }
    public string? ActorName { get; set; }
    public string? ActorRole { get; set; }
    public string Action { get; set; } = string.Empty;
    public string Target { get; set; } = string.Empty;
    public string Outcome { get; set; } = string.Empty;
    public string? Reason { get; set; }
    public string RequestId { get; set; } = string.Empty;
    public string? ClientAddress { get; set; }
    public string? UserAgent { get; set; }
    public string? ValueHmac { get; set; }
    public string PrevHash { get; set; } = string.Empty;
    public string Hash { get; set; } = string.Empty;

    // A time that is not in the canonical spelling can only come from outside the writer; it becomes
    // DateTimeOffset.MinValue, which no longer hashes to the stored hash, so verification reports the row.
    public AuditRecord ToRecord() => new(
        Id,
        AuditTime.TryParse(Time, out var time) ? time : DateTimeOffset.MinValue,
        Tenant,
        new AuditActor(ActorKeyId, ActorName, ActorRole),
        Action, Target, Outcome, Reason, RequestId, ClientAddress, UserAgent, ValueHmac, PrevHash, Hash);
}
