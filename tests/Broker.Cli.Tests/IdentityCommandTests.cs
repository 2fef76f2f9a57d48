using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Cli.Tests;

/// <summary><c>broker issuers</c> and <c>broker workload-profiles</c> against the real server (API.md v1.1 "Workload login").</summary>
public sealed class IdentityCommandTests(CliBroker broker) : IClassFixture<CliBroker>
{
    [Fact]
    public async Task AnAdmin_AddsIssuers_CreatesUpdatesAndDeletesAProfile_AndOthersCannot()
    {
        var admin = CliBroker.AdminKey;
        (await broker.RunAsync(admin, ["issuers", "add", "cli-k8s", "--issuer", "https://k8s.cli.example", "--use", "workloads",
            "--jwks-uri", "https://k8s.cli.example/openid/v1/jwks", "--audience", "broker"])).Expect(0);

        // An issuer the broker cannot reach: its public keys from a file.
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ec) { KeyId = "cli-1" });
        var file = Path.Combine(broker.DataDir, "jwks.json");
        await File.WriteAllTextAsync(file, new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = jwk.X, ["y"] = jwk.Y, ["kid"] = "cli-1", ["use"] = "sig", ["alg"] = "ES256" }),
        }.ToJsonString());
        var offline = (await broker.RunAsync(admin, ["issuers", "add", "cli-offline", "--issuer", "https://idp.cli.example", "--use", "users",
            "--jwks-file", file, "--audience", "broker", "--subject-claim", "email", "--json"])).Expect(0).Json;
        Assert.Equal(("email", "users"), (offline["subjectClaim"]!.GetValue<string>(), offline["use"]!.GetValue<string>()));
        Assert.Null(offline["jwksUri"]);
        Assert.Equal("cli-1", offline["jwks"]!["keys"]![0]!["kid"]!.GetValue<string>());
        Assert.DoesNotContain("\"d\"", offline.ToJsonString(), StringComparison.Ordinal);

        (await broker.RunAsync(admin, ["issuers", "add", "cli-bad", "--issuer", "https://x.example", "--use", "users", "--audience", "broker"])).Expect(1);
        (await broker.RunAsync(admin, ["issuers", "add", "cli-bad", "--issuer", "https://x.example", "--use", "users", "--audience", "broker",
            "--jwks-uri", "http://203.0.113.7/jwks"])).Expect(1);
        var issuers = (await broker.RunAsync(admin, ["issuers", "list", "--json"])).Expect(0).Json["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("cli-k8s", issuers);
        Assert.Contains("cli-offline", issuers);
        Assert.Contains("(inline)", (await broker.RunAsync(admin, ["issuers", "list"])).Expect(0).Out, StringComparison.Ordinal);

        var created = (await broker.RunAsync(admin, ["workload-profiles", "create", "cli-ci", "--issuer", "cli-k8s", "--subject", "system:serviceaccount:ci:*",
            "--claim", "env=prod*", "--credential", "app-*", "--ttl", "600", "--token-audience", "https://api.example", "--rate-limit", "120", "--json"])).Expect(0).Json;
        Assert.Equal(600, created["ttlSeconds"]!.GetValue<int>());
        Assert.Equal("prod*", created["claims"]!["env"]!.GetValue<string>());
        Assert.Equal("app-*", created["key"]!["credentials"]![0]!.GetValue<string>());
        Assert.Equal("https://api.example", created["key"]!["tokens"]!["audiences"]![0]!.GetValue<string>());
        (await broker.RunAsync(admin, ["workload-profiles", "create", "cli-ci", "--issuer", "cli-k8s", "--subject", "x"])).Expect(4);
        (await broker.RunAsync(admin, ["workload-profiles", "create", "cli-users", "--issuer", "cli-offline", "--subject", "x"])).Expect(1); // not a workloads issuer
        (await broker.RunAsync(admin, ["workload-profiles", "create", "cli-x", "--issuer", "cli-k8s", "--subject", "x", "--claim", "novalue"])).Expect(1);

        // update keeps what is not given, and replaces what is.
        var ttlOnly = (await broker.RunAsync(admin, ["workload-profiles", "update", "cli-ci", "--ttl", "300", "--json"])).Expect(0).Json;
        Assert.Equal((300, "system:serviceaccount:ci:*", "prod*", 120), (ttlOnly["ttlSeconds"]!.GetValue<int>(), ttlOnly["subject"]!.GetValue<string>(),
            ttlOnly["claims"]!["env"]!.GetValue<string>(), ttlOnly["key"]!["rateLimitPerMinute"]!.GetValue<int>()));
        Assert.Equal("https://api.example", ttlOnly["key"]!["tokens"]!["audiences"]![0]!.GetValue<string>());
        var narrowed = (await broker.RunAsync(admin, ["workload-profiles", "update", "cli-ci", "--credential", "payroll", "--no-claims", "--json"])).Expect(0).Json;
        Assert.Equal(["payroll"], narrowed["key"]!["credentials"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Empty(narrowed["claims"]!.AsObject());
        Assert.Contains("payroll", (await broker.RunAsync(admin, ["workload-profiles", "show", "cli-ci"])).Expect(0).Out, StringComparison.Ordinal);
        Assert.Contains("cli-ci", (await broker.RunAsync(admin, ["workload-profiles", "list"])).Expect(0).Out, StringComparison.Ordinal);
        (await broker.RunAsync(admin, ["workload-profiles", "update", "cli-missing", "--ttl", "300"])).Expect(2);
        (await broker.RunAsync(admin, ["workload-profiles", "update", "cli-ci", "--claim", "a=b", "--no-claims"])).Expect(1);

        var (_, agent) = await broker.CreateKeyAsync(new { name = "cli-identity-agent", role = "agent", credentials = new[] { "*" } });
        (await broker.RunAsync(agent, ["workload-profiles", "list"])).Expect(3);
        (await broker.RunAsync(agent, ["issuers", "delete", "cli-k8s"])).Expect(3);
        (await broker.RunAsync(agent, ["workload-profiles", "update", "cli-ci", "--ttl", "3600"])).Expect(3);

        (await broker.RunAsync(admin, ["workload-profiles", "delete", "cli-ci"])).Expect(0);
        (await broker.RunAsync(admin, ["workload-profiles", "show", "cli-ci"])).Expect(2);
        (await broker.RunAsync(admin, ["issuers", "delete", "cli-offline"])).Expect(0);
        (await broker.RunAsync(admin, ["issuers", "delete", "cli-offline"])).Expect(2);
    }
}
