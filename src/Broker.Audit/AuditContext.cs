using Broker.Core;

namespace Broker.Audit;

/// <summary>
/// Who decided what, and from where: the request a decision belongs to, as the trail records it. Built by the host
/// from its request (the capabilities never see HTTP); <see cref="Caller"/> is null before a key was authenticated.
/// </summary>
/// <param name="Caller">The authenticated key, or null.</param>
/// <param name="RequestId">The request id every record of this request carries.</param>
/// <param name="RequestLine">Method and path (<c>GET /v1/agent/credentials</c>), the target of a refused request.</param>
/// <param name="ClientAddress">The client's address as the host trusts it (after trusted proxies).</param>
/// <param name="UserAgent">The client's User-Agent, if any.</param>
/// <param name="RequestAborted">Cancelled when the client goes away; a change already begun ignores it.</param>
public sealed record AuditContext(Caller? Caller, string RequestId, string RequestLine = "", string? ClientAddress = null, string? UserAgent = null, CancellationToken RequestAborted = default)
{
    /// <summary>The tenant the decision belongs to: the caller's, or <see cref="Tenants.Default"/> before authentication.</summary>
    public string Tenant => Caller?.Tenant ?? Tenants.Default;

    /// <summary>The authenticated caller of a use case that requires one.</summary>
    /// <exception cref="InvalidOperationException">The request has no authenticated caller.</exception>
    public Caller RequireCaller() => Caller ?? throw new InvalidOperationException("This decision needs an authenticated caller.");

    /// <summary>Says which request and key, never more.</summary>
    public override string ToString() => $"AuditContext {{ RequestId = {RequestId}, KeyId = {Caller?.KeyId} }}";
}
