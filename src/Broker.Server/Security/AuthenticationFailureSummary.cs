using System.Globalization;

namespace Broker.Server.Security;

/// <summary>
/// The failed authentications of one client address in one window that were not audited one by one: the first of
/// each window is, the rest become one <c>request.denied</c> record with these counts.
/// </summary>
/// <param name="Client">The client address (an IPv6 address as its /64).</param>
/// <param name="WindowStart">When the window began.</param>
/// <param name="Count">Refused requests summarized (each a 401, or a 429 when throttled).</param>
/// <param name="Throttled">How many of them were refused with 429 without a store lookup.</param>
public sealed record AuthenticationFailureSummary(string Client, DateTimeOffset WindowStart, long Count, long Throttled)
{
    /// <summary>The audit record's target: names the address and the counts, never a key.</summary>
    public string Target =>
        string.Create(CultureInfo.InvariantCulture, $"client={Client} count={Count} throttled={Throttled} since={WindowStart.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}");
}
