using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Broker.Server.Tests;

/// <summary>
/// One key of each kind an authorization matrix needs: the bootstrap admin key, another admin of tenant default, an
/// admin of another tenant, a responder, an agent, and a revoked admin key.
/// </summary>
internal sealed class Actors
{
    private Actors(BrokerApp app) => App = app;

    public BrokerApp App { get; }

    public string Bootstrap => BrokerApp.AdminKey;

    public string BootstrapId { get; private set; } = "";

    public (string Id, string Key) OtherAdmin { get; private set; }

    public (string Id, string Key) AcmeAdmin { get; private set; }

    public (string Id, string Key) Responder { get; private set; }

    public (string Id, string Key) Agent { get; private set; }

    public (string Id, string Key) Revoked { get; private set; }

    public static async Task<Actors> CreateAsync(BrokerApp app)
    {
        var actors = new Actors(app)
        {
            OtherAdmin = await app.CreateKeyAsync(new { name = "admin-2", role = "admin" }),
            AcmeAdmin = await app.CreateKeyAsync(new { name = "acme-admin", role = "admin", tenant = "acme" }),
            Responder = await app.CreateKeyAsync(new { name = "oncall", role = "responder" }),
            Agent = await app.CreateKeyAsync(new { name = "agent-1", role = "agent", credentials = new[] { "*" }, tokens = WideGrants.Tokens, sts = WideGrants.Sts, subjects = "any" }),
            Revoked = await app.CreateKeyAsync(new { name = "gone", role = "admin" }),
        };

        using var admin = app.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/keys/{actors.Revoked.Id}/revoke", null)).StatusCode);
        var items = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray();
        actors.BootstrapId = items.Single(i => i!["name"]!.GetValue<string>() == "bootstrap-admin" && i["status"]!.GetValue<string>() == "active")!["id"]!.GetValue<string>();
        return actors;
    }

    public async Task<HttpResponseMessage> PostAsync(string key, string url, object? body = null)
    {
        using var client = App.ClientWith(key);
        return body is null ? await client.PostAsync(url, null) : await client.PostAsJsonAsync(url, body);
    }

    /// <summary>Asserts a problem+json answer with this status (and, when given, this exact detail); returns the body.</summary>
    public static async Task<JsonNode> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? detail = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonNode.Parse(text)!;
        Assert.Equal((int)status, json["status"]!.GetValue<int>());
        if (detail is not null)
        {
            Assert.Equal(detail, json["detail"]!.GetValue<string>());
        }

        return json;
    }

    /// <summary>The audit records of an action in the tenant of <paramref name="asKey"/> (an admin or responder key).</summary>
    public async Task<IReadOnlyList<JsonNode>> AuditAsync(string action, string? asKey = null)
    {
        using var client = App.ClientWith(asKey ?? Bootstrap);
        var json = await BrokerApp.JsonAsync(await client.GetAsync($"/v1/audit?limit=1000&action={Uri.EscapeDataString(action)}"));
        return json["items"]!.AsArray().Select(i => i!).ToList();
    }

    public static bool IsDenial(JsonNode record, string actorKeyId, string reason) =>
        record["outcome"]!.GetValue<string>() == "denied"
        && record["reason"]?.GetValue<string>() == reason
        && record["actor"]!["keyId"]?.GetValue<string>() == actorKeyId;
}
