namespace Broker.Client.Admin;

/// <summary>Which audit records to return (<c>GET /v1/audit</c>): oldest first.</summary>
public class AuditQueryOptions
{
    /// <summary>Only records written at or after this time.</summary>
    public DateTimeOffset? Since { get; set; }

    /// <summary>Only records of this action, e.g. <c>key.revoke</c>.</summary>
    public string? Action { get; set; }

    /// <summary>At most this many (1 to 1000; null: the broker's default, 100).</summary>
    public int? Limit { get; set; }
}
