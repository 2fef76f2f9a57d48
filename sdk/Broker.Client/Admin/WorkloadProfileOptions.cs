namespace Broker.Client.Admin;

/// <summary>v1.1: a workload profile to create (<c>POST /v1/workload-profiles</c>) or to replace whole (<c>PUT /v1/workload-profiles/{name}</c>).</summary>
public class WorkloadProfileOptions
{
    /// <summary>The profile's name.</summary>
    public required string Name { get; set; }

    /// <summary>The name of a trusted issuer of the tenant with use <c>workloads</c>.</summary>
    public required string Issuer { get; set; }

    /// <summary>The pattern the workload token's subject must match, e.g. <c>system:serviceaccount:ci:*</c>.</summary>
    public required string Subject { get; set; }

    /// <summary>Top-level claims and the patterns their values must match, e.g. <c>repository</c> = <c>acme/*</c>.</summary>
    public IDictionary<string, string> Claims { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The longest life of an access token, 60 to 3600 seconds; null: 900.</summary>
    public int? TtlSeconds { get; set; }

    /// <summary>The agent fields every access token gets.</summary>
    public BrokerWorkloadKey Key { get; set; } = new();
}
