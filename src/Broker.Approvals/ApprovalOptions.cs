namespace Broker.Approvals;

/// <summary><c>Broker:Approvals</c>: how long a request waits for a decision, and where new requests are announced.</summary>
public sealed class ApprovalOptions
{
    public const string SectionName = "Broker:Approvals";

    /// <summary>How long a pending request waits for a decision, and how long an approval may then be used.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long an expired approval stays readable (<c>GET /v1/approvals/{id}</c>) before it is deleted; zero keeps them
    /// all. Its request and decision stay in the audit trail either way.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Where each new request is POSTed (Slack/Teams-style JSON with <c>text</c>); null: no webhook.</summary>
    public Uri? WebhookUrl { get; set; }

    /// <summary>The HMAC-SHA256 key of the <c>Broker-Signature</c> header. Never logged.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>
    /// No longer used: announcements wait in the store's outbox (<see cref="ApprovalWebhook"/>), not in a queue in
    /// memory, so none is dropped for room. Kept so that configurations that set it still bind.
    /// </summary>
    [Obsolete("Announcements wait in the store's outbox; this limit is not used.")]
    public int WebhookQueueLength { get; set; } = 1024;
}
