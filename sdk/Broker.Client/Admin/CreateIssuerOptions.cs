using System.Text.Json;

namespace Broker.Client.Admin;

/// <summary>v1.1: an issuer to trust (<c>POST /v1/issuers</c>); give exactly one of <see cref="JwksUri"/> and <see cref="Jwks"/>.</summary>
public class CreateIssuerOptions
{
    /// <summary>The issuer's name in the tenant (what a workload profile names).</summary>
    public required string Name { get; set; }

    /// <summary>The <c>iss</c> its tokens carry.</summary>
    public required string Issuer { get; set; }

    /// <summary><c>users</c> (user assertions) or <c>workloads</c> (workload login).</summary>
    public required string Use { get; set; }

    /// <summary>Where its keys are fetched: https, or http on a loopback address.</summary>
    public string? JwksUri { get; set; }

    /// <summary>Its public keys inline, a JWKS document (for an issuer the broker cannot reach).</summary>
    public JsonElement? Jwks { get; set; }

    /// <summary>The <c>aud</c> values to accept (at least one).</summary>
    public IList<string> Audiences { get; } = new List<string>();

    /// <summary>The claim that names the user; null: <c>sub</c>.</summary>
    public string? SubjectClaim { get; set; }
}
