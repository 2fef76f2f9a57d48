namespace Broker.Identity;

/// <summary>What a trusted issuer's tokens are taken for.</summary>
public static class IssuerUses
{
    /// <summary>User assertions (<c>Broker-User-Assertion</c>).</summary>
    public const string Users = "users";

    /// <summary>Workload tokens exchanged at <c>POST /v1/oauth/token</c>.</summary>
    public const string Workloads = "workloads";

    public static bool IsKnown(string? use) => use is Users or Workloads;
}
