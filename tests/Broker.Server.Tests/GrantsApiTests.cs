using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Broker.Core.Grants;

namespace Broker.Server.Tests;

/// <summary>
/// Least privilege (API.md v1.1 "Grants", "What leaves the broker", "Tokens per tenant"): an agent mints and reads what
/// the admin granted, every refusal is a 403 naming its rule and an audit record with that rule as its reason.
/// </summary>
public sealed class GrantsApiTests : IDisposable
{
    private readonly BrokerApp _app = new();

    public void Dispose() => _app.Dispose();

    private static async Task<HttpResponseMessage> MintAsync(HttpClient agent, string audience, string[]? scopes = null, int? ttl = null) =>
        await agent.PostAsJsonAsync("/v1/tokens", new { audience, task = "t-1", scopes, ttlSeconds = ttl });

    private async Task<JsonNode> LastRecordAsync(string action)
    {
        using var admin = _app.Admin();
        var items = (await BrokerApp.JsonAsync(await admin.GetAsync($"/v1/audit?action={action}&limit=1000")))["items"]!.AsArray();
        return items[^1]!;
    }

    [Fact]
    public async Task NewAgentKey_WithoutATokensGrant_MintsNothing_403NamesTheRule_AndTheAuditSaysWhy()
    {
        var (_, agent) = await _app.CreateKeyAsync(new { name = "plain-agent", role = "agent", credentials = new[] { "*" } });
        using var client = _app.ClientWith(agent);

        var problem = await Actors.AssertProblemAsync(await MintAsync(client, "https://api.example"), HttpStatusCode.Forbidden);

        Assert.StartsWith("Rule token_grant:", problem["detail"]!.GetValue<string>());
        var record = await LastRecordAsync("token.mint");
        Assert.Equal("denied", record["outcome"]!.GetValue<string>());
        Assert.StartsWith(GrantRules.TokenGrant, record["reason"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("https://other.example", null, null, GrantRules.TokenAudience)]
    [InlineData("https://api.example/v1", "payments:write", null, GrantRules.TokenScope)]
    [InlineData("https://api.example/v1", "orders:read", 601, GrantRules.TokenTtl)]
    public async Task Mint_OutsideTheGrant_Is403_WithTheRuleItBreaks(string audience, string? scope, int? ttl, string rule)
    {
        var (_, agent) = await _app.CreateKeyAsync(new
        {
            name = "orders-agent", role = "agent",
            tokens = new { audiences = new[] { "https://api.example/*" }, scopes = new[] { "orders:*" }, maxTtlSeconds = 600 },
        });
        using var client = _app.ClientWith(agent);
        using var allowed = await MintAsync(client, "https://api.example/v1", ["orders:read"], 600);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);

        var problem = await Actors.AssertProblemAsync(await MintAsync(client, audience, scope is null ? null : [scope], ttl), HttpStatusCode.Forbidden);

        Assert.StartsWith($"Rule {rule}:", problem["detail"]!.GetValue<string>());
        Assert.StartsWith(rule, (await LastRecordAsync("token.mint"))["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task OnBehalfOf_WithoutProof_Is403SubjectUnproven_UnlessTheKeyMayActForAnyUser()
    {
        var (_, proven) = await _app.CreateKeyAsync(new { name = "a1", role = "agent", tokens = new { audiences = new[] { "*" } } });
        var (_, any) = await _app.CreateKeyAsync(new { name = "a2", role = "agent", tokens = new { audiences = new[] { "*" } }, subjects = "any" });
        using var provenClient = _app.ClientWith(proven);
        using var anyClient = _app.ClientWith(any);

        var problem = await Actors.AssertProblemAsync(
            await provenClient.PostAsJsonAsync("/v1/tokens", new { audience = "https://api.example", task = "t", onBehalfOf = "bob" }), HttpStatusCode.Forbidden);
        Assert.StartsWith("Rule subject_unproven:", problem["detail"]!.GetValue<string>());
        using var ok = await anyClient.PostAsJsonAsync("/v1/tokens", new { audience = "https://api.example", task = "t", onBehalfOf = "bob" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task KeyList_ShowsEachAgentKeysGrants()
    {
        await _app.CreateKeyAsync(new
        {
            name = "granted", role = "agent", tokens = new { audiences = new[] { "https://api.example" }, scopes = new[] { "read" } },
            sts = new { roles = new[] { "arn:aws:iam::*:role/reader" }, maxDurationSeconds = 900 }, approval = new { scopes = new[] { "payments:*" } },
        });
        using var admin = _app.Admin();

        var item = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "granted")!;

        Assert.Equal("https://api.example", item["tokens"]!["audiences"]![0]!.GetValue<string>());
        Assert.Equal(900, item["sts"]!["maxDurationSeconds"]!.GetValue<int>());
        Assert.Equal("proven", item["subjects"]!.GetValue<string>());
        Assert.Equal("payments:*", item["approval"]!["scopes"]![0]!.GetValue<string>());
    }

    [Theory]
    [InlineData("responder")]
    [InlineData("caller")]
    public async Task Grants_OnAKeyThatIsNotAnAgent_Are400(string role)
    {
        using var admin = _app.Admin();
        var problem = await Actors.AssertProblemAsync(
            await admin.PostAsJsonAsync("/v1/keys", new { name = "x", role, tokens = new { audiences = new[] { "*" } } }), HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["tokens"]);
    }

    [Fact]
    public async Task Patch_NarrowsTheGrant_BeforeTheResponse_AndIsAudited()
    {
        var (id, agent) = await _app.CreateKeyAsync(new { name = "narrowed", role = "agent", tokens = new { audiences = new[] { "*" } } });
        using var client = _app.ClientWith(agent);
        using (var before = await MintAsync(client, "https://b.example"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using var admin = _app.Admin();
        using var patched = await admin.PatchAsJsonAsync($"/v1/keys/{id}", new { tokens = new { audiences = new[] { "https://a.example" } } });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("https://a.example", (await BrokerApp.JsonAsync(patched))["tokens"]!["audiences"]![0]!.GetValue<string>());

        await Actors.AssertProblemAsync(await MintAsync(client, "https://b.example"), HttpStatusCode.Forbidden);
        using var stillAllowed = await MintAsync(client, "https://a.example");
        Assert.Equal(HttpStatusCode.OK, stillAllowed.StatusCode);
        var record = await LastRecordAsync("key.update");
        Assert.Equal(("allowed", id), (record["outcome"]!.GetValue<string>(), record["target"]!.GetValue<string>()));
        Assert.Contains("tokens", record["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Patch_AuthorizationMatrix()
    {
        var actors = await Actors.CreateAsync(_app);
        var (id, _) = await _app.CreateKeyAsync(new { name = "target", role = "agent" });
        var body = new { credentials = new[] { "openai_*" } };

        async Task<HttpStatusCode> PatchAsync(string? key, string keyId)
        {
            using var client = _app.ClientWith(key);
            using var response = await client.PatchAsJsonAsync($"/v1/keys/{keyId}", body);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await PatchAsync(BrokerApp.AdminKey, id));
        Assert.Equal(HttpStatusCode.OK, await PatchAsync(actors.OtherAdmin.Key, id));
        Assert.Equal(HttpStatusCode.Forbidden, await PatchAsync(actors.Responder.Key, id));
        Assert.Equal(HttpStatusCode.Forbidden, await PatchAsync(actors.Agent.Key, id));
        Assert.Equal(HttpStatusCode.NotFound, await PatchAsync(actors.AcmeAdmin.Key, id));
        Assert.Equal(HttpStatusCode.Unauthorized, await PatchAsync(actors.Revoked.Key, id));
        Assert.Equal(HttpStatusCode.Unauthorized, await PatchAsync(null, id));
        Assert.Equal(HttpStatusCode.Forbidden, await PatchAsync(actors.OtherAdmin.Key, actors.BootstrapId));
        using var admin = _app.Admin();
        using var invalid = await admin.PatchAsJsonAsync($"/v1/keys/{id}", new { subjects = "everyone" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task UseOnlyCredential_NeverLeavesTheBroker_ForAgents()
    {
        var (_, agent) = await _app.CreateKeyAsync(new { name = "reader", role = "agent", credentials = new[] { "*" } });
        using var admin = _app.Admin();
        using (var put = await admin.PutAsJsonAsync("/v1/credentials/signing_secret", new { value = "use-only-secret-value", agentAccess = "use" }))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal("use", (await BrokerApp.JsonAsync(put))["agentAccess"]!.GetValue<string>());
        }

        await _app.PutAsync("openai_key", "readable-value");
        using var client = _app.ClientWith(agent);

        var problem = await Actors.AssertProblemAsync(await client.GetAsync("/v1/agent/credentials/signing_secret"), HttpStatusCode.Forbidden);
        Assert.StartsWith("Rule agent_access:", problem["detail"]!.GetValue<string>());
        Assert.StartsWith(GrantRules.AgentAccess, (await LastRecordAsync("credential.read"))["reason"]!.GetValue<string>());
        var all = await client.GetStringAsync("/v1/agent/credentials");
        Assert.Contains("readable-value", all);
        Assert.DoesNotContain("signing_secret", all);
        Assert.DoesNotContain("use-only-secret-value", all);
    }

    [Fact]
    public async Task AwsCredential_IsAlwaysUseOnly_AndReadingIsRefused()
    {
        var (_, agent) = await _app.CreateKeyAsync(new { name = "reader", role = "agent", credentials = new[] { "*" } });
        await _app.PutAsync("aws_prod", """{"accessKeyId":"AKIAIOSFODNN7EXAMPLE","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","roleArn":"arn:aws:iam::123456789012:role/app"}""", kind: "aws");
        using var admin = _app.Admin();
        using var asRead = await admin.PutAsJsonAsync("/v1/credentials/aws_other", new { kind = "aws", agentAccess = "read", value = """{"accessKeyId":"AKIAIOSFODNN7EXAMPLE","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}""" });
        Assert.Equal(HttpStatusCode.BadRequest, asRead.StatusCode);
        using var client = _app.ClientWith(agent);

        await Actors.AssertProblemAsync(await client.GetAsync("/v1/agent/credentials/aws_prod"), HttpStatusCode.Forbidden);
        Assert.DoesNotContain("wJalrXUtnFEMI", await client.GetStringAsync("/v1/agent/credentials"));
    }

    [Fact]
    public async Task EachTenant_HasItsOwnIssuer_AndDiscoveryDocument()
    {
        using var anonymous = _app.ClientWith(null);
        var root = await BrokerApp.JsonAsync(await anonymous.GetAsync("/.well-known/openid-configuration"));
        var acme = await BrokerApp.JsonAsync(await anonymous.GetAsync("/tenants/acme/.well-known/openid-configuration"));

        var issuer = root["issuer"]!.GetValue<string>();
        Assert.Equal(issuer + "/tenants/acme", acme["issuer"]!.GetValue<string>());
        Assert.Equal(issuer + "/tenants/acme/.well-known/jwks.json", acme["jwks_uri"]!.GetValue<string>());
        using var jwks = await anonymous.GetAsync("/tenants/acme/.well-known/jwks.json");
        Assert.Equal(HttpStatusCode.OK, jwks.StatusCode);
        using var bad = await anonymous.GetAsync("/tenants/Not%20A%20Tenant/.well-known/openid-configuration");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}
