using System.Net;
using System.Net.Http.Json;

namespace Broker.Server.Tests.Identity;

public sealed class IssuersApiTests
{
    private static object Issuer(string name, string jwksUri = "https://login.example.com/jwks.json") =>
        new { name, issuer = "https://login.example.com", jwksUri, audiences = new[] { "broker" }, use = "users" };

    [Fact]
    public async Task CreateListDelete_RoundTrips_AndIsAudited()
    {
        using var app = new BrokerApp();
        var actors = await Actors.CreateAsync(app);
        using var admin = app.Admin();

        var created = await admin.PostAsJsonAsync("/v1/issuers", Issuer("corp"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await BrokerApp.JsonAsync(created);
        Assert.Equal("sub", body["subjectClaim"]!.GetValue<string>());
        Assert.Equal("users", body["use"]!.GetValue<string>());

        var list = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/issuers")))["items"]!.AsArray();
        Assert.Equal("corp", Assert.Single(list)!["name"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/v1/issuers", Issuer("corp"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/issuers/corp")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/v1/issuers/corp")).StatusCode);
        Assert.Empty((await BrokerApp.JsonAsync(await admin.GetAsync("/v1/issuers")))["items"]!.AsArray());

        Assert.Contains(await actors.AuditAsync("issuer.create"), r => r["outcome"]!.GetValue<string>() == "allowed" && r["target"]!.GetValue<string>() == "corp");
        Assert.Contains(await actors.AuditAsync("issuer.create"), r => r["reason"]?.GetValue<string>() == "conflict");
        Assert.Contains(await actors.AuditAsync("issuer.delete"), r => r["outcome"]!.GetValue<string>() == "allowed");
        Assert.Contains(await actors.AuditAsync("issuer.delete"), r => r["reason"]?.GetValue<string>() == "not_found");
    }

    [Theory]
    [InlineData("http://login.example.com/jwks.json")]
    [InlineData("ftp://127.0.0.1/jwks.json")]
    [InlineData("not a url")]
    public async Task Create_RefusesAJwksUriThatIsNotHttpsOrLoopback(string jwksUri)
    {
        using var app = new BrokerApp();
        using var admin = app.Admin();
        var response = await admin.PostAsJsonAsync("/v1/issuers", Issuer("corp", jwksUri));
        var problem = await Actors.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["jwksUri"]);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/jwks.json")]
    [InlineData("http://localhost/jwks.json")]
    [InlineData("http://[::1]:9/jwks.json")]
    public async Task Create_AcceptsHttpOnLoopback(string jwksUri)
    {
        using var app = new BrokerApp();
        using var admin = app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/issuers", Issuer("corp", jwksUri))).StatusCode);
    }

    [Fact]
    public async Task Create_RefusesBadFields_AndAPrivateInlineKey()
    {
        using var app = new BrokerApp();
        using var admin = app.Admin();
        var both = await admin.PostAsJsonAsync("/v1/issuers", new { name = "x", issuer = "https://i", jwksUri = "https://i/j", jwks = new { keys = Array.Empty<object>() }, audiences = new[] { "a" }, use = "users" });
        Assert.NotNull((await Actors.AssertProblemAsync(both, HttpStatusCode.BadRequest))["errors"]!["jwksUri"]);

        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var p = rsa.ExportParameters(true);
        var privateJwk = new { kty = "RSA", kid = "k1", n = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(p.Modulus), e = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(p.Exponent), d = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(p.D) };
        var withPrivate = await admin.PostAsJsonAsync("/v1/issuers", new { name = "x", issuer = "https://i", jwks = new { keys = new[] { privateJwk } }, audiences = new[] { "a" }, use = "users" });
        Assert.NotNull((await Actors.AssertProblemAsync(withPrivate, HttpStatusCode.BadRequest))["errors"]!["jwks"]);

        var bad = await admin.PostAsJsonAsync("/v1/issuers", new { name = "x y", issuer = "", audiences = Array.Empty<string>(), use = "robots" });
        var errors = (await Actors.AssertProblemAsync(bad, HttpStatusCode.BadRequest))["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("name") && errors.ContainsKey("issuer") && errors.ContainsKey("audiences") && errors.ContainsKey("use") && errors.ContainsKey("jwksUri"));
        Assert.Empty((await BrokerApp.JsonAsync(await admin.GetAsync("/v1/issuers")))["items"]!.AsArray());
    }

    [Fact]
    public async Task Routes_AreForAdminsOfTheirOwnTenantOnly()
    {
        using var app = new BrokerApp();
        var actors = await Actors.CreateAsync(app);
        var caller = await app.CreateKeyAsync(new { name = "alice", role = "caller", agents = new[] { "*" } });
        using (var admin = app.Admin())
        {
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/issuers", Issuer("corp"))).StatusCode);
        }

        foreach (var key in new[] { actors.Responder.Key, actors.Agent.Key, caller.Key })
        {
            using var client = app.ClientWith(key);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/v1/issuers", Issuer("mine"))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/v1/issuers")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync("/v1/issuers/corp")).StatusCode);
        }

        using (var revoked = app.ClientWith(actors.Revoked.Key))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await revoked.PostAsJsonAsync("/v1/issuers", Issuer("mine"))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await revoked.GetAsync("/v1/issuers")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await revoked.DeleteAsync("/v1/issuers/corp")).StatusCode);
        }

        using (var anonymous = app.ClientWith(null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/issuers")).StatusCode);
        }

        using (var acme = app.ClientWith(actors.AcmeAdmin.Key))
        {
            Assert.Empty((await BrokerApp.JsonAsync(await acme.GetAsync("/v1/issuers")))["items"]!.AsArray());
            Assert.Equal(HttpStatusCode.NotFound, (await acme.DeleteAsync("/v1/issuers/corp")).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await acme.PostAsJsonAsync("/v1/issuers", Issuer("corp"))).StatusCode);
        }

        using (var other = app.ClientWith(actors.OtherAdmin.Key))
        {
            var items = (await BrokerApp.JsonAsync(await other.GetAsync("/v1/issuers")))["items"]!.AsArray();
            Assert.Single(items);
            Assert.Equal(HttpStatusCode.NoContent, (await other.DeleteAsync("/v1/issuers/corp")).StatusCode);
        }

        using var acmeAfter = app.ClientWith(actors.AcmeAdmin.Key);
        Assert.Single((await BrokerApp.JsonAsync(await acmeAfter.GetAsync("/v1/issuers")))["items"]!.AsArray());
    }
}
