namespace Broker.Client.Admin;

/// <summary>
/// v1.1: a change to a key (<c>PATCH /v1/keys/{id}</c>). Each property set replaces the key's; one left null stays as
/// it is. To take a grant away, give it empty (e.g. <see cref="Tokens"/> with no audiences, <see cref="Credentials"/> empty).
/// </summary>
public class UpdateKeyOptions
{
    /// <summary>The credential patterns an agent key may read.</summary>
    public IReadOnlyList<string>? Credentials { get; set; }

    /// <summary>The agent patterns a caller key may call.</summary>
    public IReadOnlyList<string>? Agents { get; set; }

    /// <summary>The tokens an agent key may mint.</summary>
    public BrokerTokenGrant? Tokens { get; set; }

    /// <summary>The AWS sessions an agent key may get.</summary>
    public BrokerStsGrant? Sts { get; set; }

    /// <summary><c>proven</c> or <c>any</c>: whether a user an agent acts for must be proven.</summary>
    public string? Subjects { get; set; }

    /// <summary>Which requests wait for a human.</summary>
    public BrokerApprovalGrant? Approval { get; set; }

    /// <summary>Other agent names an agent key may verify inbound keys for.</summary>
    public IReadOnlyList<string>? VerifyAs { get; set; }

    /// <summary>Requests per minute.</summary>
    public int? RateLimitPerMinute { get; set; }

    /// <summary>Requests per UTC day.</summary>
    public int? QuotaPerDay { get; set; }

    /// <summary>When the key stops working.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}
