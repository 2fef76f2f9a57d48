namespace Broker.Client.Admin;

/// <summary>What a new key is (<c>POST /v1/keys</c>).</summary>
public class CreateKeyOptions
{
    /// <summary>The key's name.</summary>
    public required string Name { get; set; }

    /// <summary><c>admin</c>, <c>responder</c>, <c>agent</c> or <c>caller</c>.</summary>
    public required string Role { get; set; }

    /// <summary>The tenant; another than the caller's own needs the bootstrap admin key. Null: the caller's.</summary>
    public string? Tenant { get; set; }

    /// <summary>For an agent key: the credentials it may read (<c>*</c> matches any run of characters).</summary>
    public IList<string> Credentials { get; } = new List<string>();

    /// <summary>For a caller key: the agents it may call.</summary>
    public IList<string> Agents { get; } = new List<string>();

    /// <summary>For an agent key: other agent names it may verify inbound keys for.</summary>
    public IList<string> VerifyAs { get; } = new List<string>();

    /// <summary>Requests per minute; null is no limit.</summary>
    public int? RateLimitPerMinute { get; set; }

    /// <summary>Requests per UTC day; null is no limit.</summary>
    public int? QuotaPerDay { get; set; }

    /// <summary>When the key stops working; null is never.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>v1.1, for an agent key: the tokens it may mint; null mints none.</summary>
    public BrokerTokenGrant? Tokens { get; set; }

    /// <summary>v1.1, for an agent key: the AWS sessions it may get beyond its credentials' own roles.</summary>
    public BrokerStsGrant? Sts { get; set; }

    /// <summary>v1.1, for an agent key: <c>proven</c> (null: the default) or <c>any</c>, whether a user it acts for must be proven.</summary>
    public string? Subjects { get; set; }

    /// <summary>v1.1, for an agent key: which of its requests wait for a human.</summary>
    public BrokerApprovalGrant? Approval { get; set; }
}
