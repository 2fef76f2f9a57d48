using BenchmarkDotNet.Attributes;
using Broker.Core;
using Broker.Core.Grants;

namespace Broker.Minting.Benchmarks;

/// <summary>
/// What a grant decision costs on the mint path: an allowed token (audience and two scopes matched by pattern, TTL
/// checked) and an STS decision, against matching one wildcard pattern alone (the baseline).
/// </summary>
[MemoryDiagnoser]
public class GrantPolicyBenchmarks
{
    private readonly Caller _caller = new("key-1", "deploy-bot", Role.Agent, "default", false, ["aws-*", "openai_*"], [], Grants: new AgentGrants(
        new TokenGrant(["https://api.example.com/*", "https://billing.example.com"], ["orders:*", "tickets:read"], 600),
        new StsGrant(["arn:aws:iam::123456789012:role/reader-*"], 1800)));

    private readonly string[] _scopes = ["orders:read", "tickets:read"];

    [Benchmark(Baseline = true)]
    public bool OnePattern() => WildcardPattern.IsMatch("https://api.example.com/*", "https://api.example.com/v1");

    [Benchmark]
    public void TokenAllowed() => GrantPolicy.DemandToken(_caller, "https://api.example.com/v1", _scopes, 300);

    [Benchmark]
    public void StsAllowed() => GrantPolicy.DemandSts(_caller, "aws-prod", "arn:aws:iam::123456789012:role/reader-eu", 900);
}
