using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Server.Tests.Identity;

/// <summary>Proof of the user against a real local issuer (Kestrel serving JWKS, RS256 and ES256 keys) and with caller keys.</summary>
public sealed class UserProofTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _logs = new();
    private readonly List<string> _secrets = [];
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private LocalIssuer _issuer = null!;
    private BrokerApp _app = null!;
    private Actors _actors = null!;
    private (string Id, string Key) _agent;

    public async Task InitializeAsync()
    {
        _issuer = await LocalIssuer.StartAsync();
        _app = new BrokerApp(_time, services: s => s.AddLogging(b => b.AddProvider(new LogCapture(_logs))));
        _actors = await Actors.CreateAsync(_app);
        _agent = await _app.CreateKeyAsync(new { name = "agent-mail", role = "agent", credentials = new[] { "*" }, tokens = WideGrants.Tokens });
        using var admin = _app.Admin();
        var created = await admin.PostAsJsonAsync("/v1/issuers", new { name = "corp", issuer = _issuer.Issuer, jwksUri = _issuer.JwksUri, audiences = new[] { "other", LocalIssuer.Audience }, use = "users" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await _app.PutAsync("github", "alice-github-value", subject: "alice");
        await _app.PutAsync("github", "bob-github-value", subject: "bob");
    }

    public async Task DisposeAsync()
    {
        // Nothing presented as proof is ever recorded, logged or answered.
        using var admin = _app.Admin();
        var audit = await (await admin.GetAsync("/v1/audit?limit=1000")).Content.ReadAsStringAsync();
        var logs = string.Join("\n", _logs);
        foreach (var secret in _secrets)
        {
            Assert.DoesNotContain(secret, audit, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
            if (secret.Length > 40)
            {
                Assert.DoesNotContain(secret[^20..], audit, StringComparison.Ordinal);
            }
        }

        _app.Dispose();
        await _issuer.DisposeAsync();
    }

    [Fact]
    public async Task ValidAssertion_ReadsTheUsersValue_AndTheRecordSaysHowItWasProven()
    {
        var assertion = Remember(_issuer.Sign("alice"));
        var response = await ReadAsync("alice", assertion: assertion);
        Assert.Equal("alice-github-value", (await BrokerApp.JsonAsync(response))["value"]!.GetValue<string>());

        var record = (await _actors.AuditAsync("credential.read")).Last(r => r["target"]!.GetValue<string>() == "github?subject=alice");
        Assert.Equal("allowed", record["outcome"]!.GetValue<string>());
        Assert.Contains("proof=assertion issuer=corp", record["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidEs256Assertion_MintsATokenOnBehalfOfTheUser()
    {
        var assertion = Remember(_issuer.Sign("alice", _issuer.Ec, algorithm: SecurityAlgorithms.EcdsaSha256));
        using var client = AgentClient(assertion: assertion);
        var response = await client.PostAsJsonAsync("/v1/tokens", new { audience = "https://api.example.com", task = "t-1", onBehalfOf = "alice" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var record = (await _actors.AuditAsync("token.mint")).Last();
        Assert.Contains("onBehalfOf=alice", record["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("proof=assertion issuer=corp", record["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameAssertionTwice_IsValidatedOnce_AndStillHolds()
    {
        var assertion = Remember(_issuer.Sign("alice"));
        var verifier = _app.Services.GetRequiredService<Broker.Identity.UserProofVerifier>();
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync("alice", assertion: assertion)).StatusCode);
        var cached = verifier.CachedAssertions;
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync("alice", assertion: assertion)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ReadAsync("bob", assertion: assertion)).StatusCode);
        Assert.Equal(1, cached);
        Assert.Equal(cached, verifier.CachedAssertions);
    }

    public static TheoryData<string> BadAssertions => new()
    {
        "expired", "not-yet-valid", "wrong-audience", "wrong-issuer", "alg-none", "hs256-with-public-key", "unknown-kid", "other-user", "garbage", "untrusted-signer",
    };

    [Theory]
    [MemberData(nameof(BadAssertions))]
    public async Task BadAssertion_IsRefusedAsUnproven(string kind)
    {
        var now = DateTimeOffset.UtcNow;
        var assertion = Remember(kind switch
        {
            "expired" => _issuer.Sign("alice", notBefore: now.AddMinutes(-10), expires: now.AddSeconds(-45)),
            "not-yet-valid" => _issuer.Sign("alice", notBefore: now.AddSeconds(60), expires: now.AddMinutes(10)),
            "wrong-audience" => _issuer.Sign("alice", audience: "someone-else"),
            "wrong-issuer" => _issuer.Sign("alice", issuer: _issuer.BaseUrl + "/evil"),
            "alg-none" => _issuer.Unsigned("alice"),
            "hs256-with-public-key" => _issuer.SignedWithPublicKeyAsHmac("alice"),
            "unknown-kid" => _issuer.Sign("alice", new RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048)) { KeyId = "nobody-knows" }),
            "untrusted-signer" => _issuer.Sign("alice", new RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048)) { KeyId = _issuer.Rsa.KeyId }),
            "other-user" => _issuer.Sign("bob"),
            _ => "not.a.jwt-at-all",
        });

        var response = await ReadAsync("alice", assertion: assertion);
        await Actors.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        var detail = (await BrokerApp.JsonAsync(response))["detail"]!.GetValue<string>();
        Assert.StartsWith("Rule subject_unproven", detail, StringComparison.Ordinal);
        var record = (await _actors.AuditAsync("credential.read")).Last();
        Assert.Equal("denied", record["outcome"]!.GetValue<string>());
        Assert.StartsWith("subject_unproven", record["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlicesAssertion_DoesNotReadBobsCredentials()
    {
        var assertion = Remember(_issuer.Sign("alice"));
        var response = await ReadAsync("bob", assertion: assertion);
        await Actors.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.DoesNotContain("bob-github-value", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var client = AgentClient(assertion: assertion);
        var mint = await client.PostAsJsonAsync("/v1/tokens", new { audience = "https://api.example.com", task = "t-1", onBehalfOf = "bob" });
        await Actors.AssertProblemAsync(mint, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task NoProof_IsRefused_ButSubjectsAnyNeedsNone()
    {
        await Actors.AssertProblemAsync(await ReadAsync("alice"), HttpStatusCode.Forbidden);

        using var backOffice = _app.ClientWith(_actors.Agent.Key);
        var response = await backOffice.GetAsync("/v1/agent/credentials/github?subject=alice");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("proof=any", (await _actors.AuditAsync("credential.read")).Last()["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyRotationAtTheIssuer_IsPickedUp_AndUnknownKidsRefreshAtMostOncePerMinute()
    {
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync("alice", assertion: Remember(_issuer.Sign("alice")))).StatusCode);
        var fetches = _issuer.Fetches;

        _issuer.RotateRsa();
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync("alice", assertion: Remember(_issuer.Sign("alice")))).StatusCode);
        Assert.Equal(fetches + 1, _issuer.Fetches);

        // A second rotation within the minute is not fetched (made-up kids cannot make the broker hammer the issuer)...
        _issuer.RotateRsa();
        var rotated = Remember(_issuer.Sign("alice"));
        Assert.Equal(HttpStatusCode.Forbidden, (await ReadAsync("alice", assertion: rotated)).StatusCode);
        Assert.Equal(fetches + 1, _issuer.Fetches);

        // ...and is once the minute has passed.
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync("alice", assertion: rotated)).StatusCode);
        Assert.Equal(fetches + 2, _issuer.Fetches);
    }

    [Fact]
    public async Task IssuerKeysUnreachable_Is503_AndRecordedAsAnError()
    {
        using (var admin = _app.Admin())
        {
            var created = await admin.PostAsJsonAsync("/v1/issuers", new { name = "down", issuer = "https://down.example", jwksUri = "http://127.0.0.1:1/jwks.json", audiences = new[] { LocalIssuer.Audience }, use = "users" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var response = await ReadAsync("alice", assertion: Remember(_issuer.Sign("alice", issuer: "https://down.example")));
        await Actors.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        var record = (await _actors.AuditAsync("credential.read")).Last();
        Assert.Equal(("error", "github?subject=alice"), (record["outcome"]!.GetValue<string>(), record["target"]!.GetValue<string>()));

        using var client = AgentClient(assertion: _secrets[^1]);
        var mint = await client.PostAsJsonAsync("/v1/tokens", new { audience = "https://api.example.com", task = "t-1", onBehalfOf = "alice" });
        await Actors.AssertProblemAsync(mint, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("error", (await _actors.AuditAsync("token.mint")).Last()["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task InlineJwks_ProvesUsersWithoutFetching()
    {
        var publicJwk = Microsoft.IdentityModel.Tokens.JsonWebKeyConverter.ConvertFromECDsaSecurityKey(
            new ECDsaSecurityKey(System.Security.Cryptography.ECDsa.Create(_issuer.Ec.ECDsa.ExportParameters(false))) { KeyId = _issuer.Ec.KeyId });
        using (var admin = _app.Admin())
        {
            var created = await admin.PostAsJsonAsync("/v1/issuers", new
            {
                name = "inline", issuer = "https://inline.example", jwks = new { keys = new[] { new { kty = "EC", kid = publicJwk.Kid, crv = publicJwk.Crv, x = publicJwk.X, y = publicJwk.Y } } },
                audiences = new[] { LocalIssuer.Audience }, use = "users", subjectClaim = "email",
            });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var assertion = Remember(_issuer.Sign("ignored", _issuer.Ec, issuer: "https://inline.example", algorithm: SecurityAlgorithms.EcdsaSha256, claims: new() { ["email"] = "alice" }));
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync("alice", assertion: assertion)).StatusCode);
        Assert.Contains("proof=assertion issuer=inline", (await _actors.AuditAsync("credential.read")).Last()["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletedIssuer_ProvesNothingAnyMore()
    {
        var assertion = Remember(_issuer.Sign("alice"));
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync("alice", assertion: assertion)).StatusCode);
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/issuers/corp")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ReadAsync("alice", assertion: assertion)).StatusCode);
    }

    [Fact]
    public async Task CallerKey_ProvesItsSubjectToTheAgentsItAllows()
    {
        var alice = await _app.CreateKeyAsync(new { name = "alice-laptop", role = "caller", agents = new[] { "agent-*" }, subject = "alice" });
        Remember(alice.Key);
        var response = await ReadAsync("alice", callerKey: alice.Key);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var record = (await _actors.AuditAsync("credential.read")).Last();
        Assert.Contains($"proof=caller_key key={alice.Id}", record["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        // The key lists its subject; a caller key without one stands for its name.
        using var admin = _app.Admin();
        var keys = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray();
        Assert.Equal("alice", keys.Single(k => k!["id"]!.GetValue<string>() == alice.Id)!["subject"]!.GetValue<string>());
        var bob = await _app.CreateKeyAsync(new { name = "bob", role = "caller", agents = new[] { "*" } });
        Remember(bob.Key);
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync("bob", callerKey: bob.Key)).StatusCode);
    }

    [Fact]
    public async Task CallerKey_ThatDoesNotFit_ProvesNothing()
    {
        var wrongSubject = await _app.CreateKeyAsync(new { name = "bob-laptop", role = "caller", agents = new[] { "*" }, subject = "bob" });
        var otherAgents = await _app.CreateKeyAsync(new { name = "alice-other", role = "caller", agents = new[] { "billing-*" }, subject = "alice" });
        var revoked = await _app.CreateKeyAsync(new { name = "alice-old", role = "caller", agents = new[] { "*" }, subject = "alice" });
        var otherTenant = await _app.CreateKeyAsync(new { name = "alice-acme", role = "caller", agents = new[] { "*" }, subject = "alice", tenant = "acme" });
        var notACaller = await _app.CreateKeyAsync(new { name = "alice", role = "responder" });
        using (var admin = _app.Admin())
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/keys/{revoked.Id}/revoke", null)).StatusCode);
        }

        foreach (var key in new[] { wrongSubject.Key, otherAgents.Key, revoked.Key, otherTenant.Key, notACaller.Key, "brk_not-a-real-key-000000000000" })
        {
            Remember(key);
            var response = await ReadAsync("alice", callerKey: key);
            var problem = await Actors.AssertProblemAsync(response, HttpStatusCode.Forbidden);
            Assert.StartsWith("Rule subject_unproven", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Subject_IsAFieldOfCallerKeysOnly()
    {
        using var admin = _app.Admin();
        var response = await admin.PostAsJsonAsync("/v1/keys", new { name = "a2", role = "agent", subject = "alice" });
        var problem = await Actors.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["subject"]);
    }

    private string Remember(string secret)
    {
        _secrets.Add(secret);
        return secret;
    }

    private HttpClient AgentClient(string? assertion = null, string? callerKey = null)
    {
        var client = _app.ClientWith(_agent.Key);
        if (assertion is not null)
        {
            client.DefaultRequestHeaders.Add("Broker-User-Assertion", assertion);
        }

        if (callerKey is not null)
        {
            client.DefaultRequestHeaders.Add("Broker-User-Key", callerKey);
        }

        return client;
    }

    private async Task<HttpResponseMessage> ReadAsync(string subject, string? assertion = null, string? callerKey = null)
    {
        using var client = AgentClient(assertion, callerKey);
        var response = await client.GetAsync($"/v1/agent/credentials/github?subject={subject}");
        var body = await response.Content.ReadAsStringAsync();
        foreach (var secret in _secrets)
        {
            Assert.DoesNotContain(secret, body, StringComparison.Ordinal);
        }

        return response;
    }
}
