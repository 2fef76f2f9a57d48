using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Broker.Core;

namespace Broker.Server.Tests;

/// <summary>Signing keys sign for every tenant: only the bootstrap admin key rotates or retires them, and both are audited.</summary>
public sealed class SigningKeysApiTests : IDisposable
{
    private readonly BrokerApp _app = new();

    public void Dispose() => _app.Dispose();

    private async Task<IReadOnlyList<string>> JwksKidsAsync(BrokerApp? app = null)
    {
        using var anonymous = (app ?? _app).CreateClient();
        var jwks = JsonNode.Parse(await anonymous.GetStringAsync("/.well-known/jwks.json"))!;
        return jwks["keys"]!.AsArray().Select(k => k!["kid"]!.GetValue<string>()).ToList();
    }

    private async Task<string> MintKidAsync(string agentKey)
    {
        using var agent = _app.ClientWith(agentKey);
        using var response = await agent.PostAsJsonAsync("/v1/tokens", new { audience = "https://api.example", task = "t-1" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = (await BrokerApp.JsonAsync(response))["token"]!.GetValue<string>();
        var header = JsonNode.Parse(Base64Url.DecodeFromChars(token.Split('.')[0]))!;
        return header["kid"]!.GetValue<string>();
    }

    [Fact]
    public async Task RotateSigningKey_OnlyByTheBootstrapKey_AndAudited()
    {
        var actors = await Actors.CreateAsync(_app);
        var before = await JwksKidsAsync();
        const string url = "/v1/signing-keys/rotate";

        await Actors.AssertProblemAsync(await actors.PostAsync(actors.OtherAdmin.Key, url), HttpStatusCode.Forbidden, BootstrapRule.ManageSigningKeys);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.AcmeAdmin.Key, url), HttpStatusCode.Forbidden, BootstrapRule.ManageSigningKeys);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Responder.Key, url), HttpStatusCode.Forbidden);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Agent.Key, url), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Unauthorized, (await actors.PostAsync(actors.Revoked.Key, url)).StatusCode);
        Assert.Equal(before, await JwksKidsAsync());

        var response = await actors.PostAsync(actors.Bootstrap, url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var kid = (await BrokerApp.JsonAsync(response))["kid"]!.GetValue<string>();
        Assert.Equal(kid, (await JwksKidsAsync())[0]);
        Assert.Equal(kid, await MintKidAsync(actors.Agent.Key));

        var records = await actors.AuditAsync("signing_key.rotate");
        Assert.Contains(records, r => Actors.IsDenial(r, actors.OtherAdmin.Id, BootstrapRule.Reason));
        Assert.Contains(records, r => r["outcome"]!.GetValue<string>() == "allowed" && r["target"]!.GetValue<string>() == kid
            && r["actor"]!["keyId"]!.GetValue<string>() == actors.BootstrapId);
        Assert.Contains(await actors.AuditAsync("signing_key.rotate", actors.AcmeAdmin.Key), r => Actors.IsDenial(r, actors.AcmeAdmin.Id, BootstrapRule.Reason));
    }

    [Fact]
    public async Task RetireSigningKey_OnlyByTheBootstrapKey_AndAudited()
    {
        var actors = await Actors.CreateAsync(_app);
        var kid = (await JwksKidsAsync())[0];
        var url = $"/v1/signing-keys/{kid}/retire";

        await Actors.AssertProblemAsync(await actors.PostAsync(actors.OtherAdmin.Key, url), HttpStatusCode.Forbidden, BootstrapRule.ManageSigningKeys);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.AcmeAdmin.Key, url), HttpStatusCode.Forbidden, BootstrapRule.ManageSigningKeys);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Responder.Key, url), HttpStatusCode.Forbidden);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Agent.Key, url), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Unauthorized, (await actors.PostAsync(actors.Revoked.Key, url)).StatusCode);
        Assert.Equal([kid], await JwksKidsAsync());
        Assert.Equal(kid, await MintKidAsync(actors.Agent.Key));

        Assert.Contains(await actors.AuditAsync("signing_key.retire"), r => Actors.IsDenial(r, actors.OtherAdmin.Id, BootstrapRule.Reason) && r["target"]!.GetValue<string>() == kid);
        Assert.Contains(await actors.AuditAsync("signing_key.retire", actors.AcmeAdmin.Key), r => Actors.IsDenial(r, actors.AcmeAdmin.Id, BootstrapRule.Reason));
    }

    [Fact]
    public async Task Retire_OfTheCurrentKey_RemovesItFromJwksAtOnce_AndANewKeySigns()
    {
        var actors = await Actors.CreateAsync(_app);
        var compromised = await MintKidAsync(actors.Agent.Key);
        Assert.Contains(compromised, await JwksKidsAsync()); // also warms the JWKS view: the retire must not be hidden by it

        var response = await actors.PostAsync(actors.Bootstrap, $"/v1/signing-keys/{compromised}/retire");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await BrokerApp.JsonAsync(response);
        Assert.Equal(compromised, body["kid"]!.GetValue<string>());
        Assert.Equal("retired", body["status"]!.GetValue<string>());
        var current = body["current"]!.GetValue<string>();
        Assert.NotEqual(compromised, current);

        Assert.Equal([current], await JwksKidsAsync());
        Assert.Equal(current, await MintKidAsync(actors.Agent.Key));
        Assert.Contains(await actors.AuditAsync("signing_key.retire"), r => r["outcome"]!.GetValue<string>() == "allowed" && r["target"]!.GetValue<string>() == compromised
            && r["actor"]!["keyId"]!.GetValue<string>() == actors.BootstrapId);

        // Idempotent: retiring it again changes nothing.
        Assert.Equal(HttpStatusCode.OK, (await actors.PostAsync(actors.Bootstrap, $"/v1/signing-keys/{compromised}/retire")).StatusCode);
        Assert.Equal([current], await JwksKidsAsync());
    }

    [Fact]
    public async Task Retire_OfAKeyRetiredByRotation_RemovesItFromJwksAtOnce()
    {
        var actors = await Actors.CreateAsync(_app);
        var old = (await JwksKidsAsync())[0];
        var current = (await BrokerApp.JsonAsync(await actors.PostAsync(actors.Bootstrap, "/v1/signing-keys/rotate")))["kid"]!.GetValue<string>();
        Assert.Equal([current, old], await JwksKidsAsync());

        var body = await BrokerApp.JsonAsync(await actors.PostAsync(actors.Bootstrap, $"/v1/signing-keys/{old}/retire"));
        Assert.Equal(current, body["current"]!.GetValue<string>());
        Assert.Equal([current], await JwksKidsAsync());
    }

    [Fact]
    public async Task Retire_OfAnUnknownKid_Returns404_AndIsAuditedAsDenied()
    {
        var actors = await Actors.CreateAsync(_app);
        await Actors.AssertProblemAsync(await actors.PostAsync(actors.Bootstrap, "/v1/signing-keys/no-such-kid/retire"), HttpStatusCode.NotFound);
        Assert.Contains(await actors.AuditAsync("signing_key.retire"), r => Actors.IsDenial(r, actors.BootstrapId, "unknown_kid"));
    }

    [Fact]
    public async Task Retire_IsDurable_AcrossARestart()
    {
        var dataDir = BrokerApp.NewDataDir();
        string retired;
        using (var app = new BrokerApp(dataDir: dataDir))
        {
            retired = (await JwksKidsAsync(app))[0];
            using var admin = app.Admin();
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/signing-keys/{retired}/retire", null)).StatusCode);
        }

        try
        {
            using var restarted = new BrokerApp(dataDir: dataDir);
            var kids = await JwksKidsAsync(restarted);
            Assert.Single(kids);
            Assert.DoesNotContain(retired, kids);
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
