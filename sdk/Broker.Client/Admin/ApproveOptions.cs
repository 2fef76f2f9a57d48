namespace Broker.Client.Admin;

/// <summary>How an approval is granted (v1.1 <c>POST /v1/approvals/{id}/approve</c>); it may only narrow the request.</summary>
public class ApproveOptions
{
    /// <summary>Why it was approved.</summary>
    public string? Reason { get; set; }

    /// <summary>A shorter lifetime for what is minted.</summary>
    public int? TtlSeconds { get; set; }

    /// <summary>Fewer scopes than were asked for; empty keeps them.</summary>
    public IList<string> Scopes { get; } = new List<string>();
}
