using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Server.Tests.Identity;

/// <summary>Workload login (RFC 8693 token exchange) against a real local issuer (Kestrel serving JWKS, RS256 and ES256 keys).</summary>
public sealed class WorkloadLoginTests : IAsyncLifetime
{
    public const string Subject = "system:serviceaccount:ci:runner";
    public const string InvalidGrantBody = """{"error":"invalid_grant"}""";

    private readonly ConcurrentQueue<string> _logs = new();
    private readonly List<string> _secrets = [];
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private LocalIssuer _issuer = null!;
    private BrokerApp _app = null!;
    private Actors _actors = null!;

    public async Task InitializeAsync()
    {
        _issuer = await LocalIssuer.StartAsync();
        _app = new BrokerApp(_time, services: s => s.AddLogging(b => b.AddProvider(new LogCapture(_logs))));
        _actors = await Actors.CreateAsync(_app);
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/issuers", WorkloadIssuer(_issuer))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/workload-profiles", Profile("ci"))).StatusCode);
        await _app.PutAsync("app-db", "app-db-value");
        await _app.PutAsync("payroll", "payroll-value");
    }

    public async Task DisposeAsync()
    {
        // No workload JWT and no access token is ever recorded, logged or stored.
        using var admin = _app.Admin();
        var audit = await (await admin.GetAsync("/v1/audit?limit=1000")).Content.ReadAsStringAsync();
        var logs = string.Join("\n", _logs);
        var db = string.Concat(Directory.GetFiles(_app.DataDir, "broker.db*").Select(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, System.Text.Encoding.Latin1);
            return reader.ReadToEnd();
        }));
        foreach (var secret in _secrets)
        {
            Assert.DoesNotContain(secret, audit, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, db, StringComparison.Ordinal);
            Assert.DoesNotContain(secret[^20..], audit, StringComparison.Ordinal);
            Assert.DoesNotContain(secret[^20..], db, StringComparison.Ordinal);
        }

        _app.Dispose();
        await _issuer.DisposeAsync();
    }

    public static object WorkloadIssuer(LocalIssuer issuer, string name = "k8s") =>
        new { name, issuer = issuer.Issuer, jwksUri = issuer.JwksUri, audiences = new[] { LocalIssuer.Audience }, use = "workloads" };

    public static object Profile(string name, string issuer = "k8s", int? ttlSeconds = null) => new
    {
        name, issuer, subject = "system:serviceaccount:ci:*", claims = new Dictionary<string, string> { ["env"] = "prod*" },
        key = new { credentials = new[] { "app-*" }, rateLimitPerMinute = 600 }, ttlSeconds,
    };

    public static Task<HttpResponseMessage> LoginAsync(HttpClient client, string? token, string? resource = "ci", string? grantType = "urn:ietf:params:oauth:grant-type:token-exchange")
    {
        var form = new List<KeyValuePair<string, string>>();
        if (grantType is not null)
        {
            form.Add(new("grant_type", grantType));
        }

        if (token is not null)
        {
            form.Add(new("subject_token", token));
            form.Add(new("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"));
        }

        if (resource is not null)
        {
            form.Add(new("resource", resource));
        }

        return client.PostAsync("/v1/oauth/token", new FormUrlEncodedContent(form));
    }

    private string Sign(string subject = Subject, SecurityKey? key = null, string algorithm = SecurityAlgorithms.RsaSha256, string env = "production",
        string? audience = LocalIssuer.Audience, string? issuer = null, DateTimeOffset? notBefore = null, DateTimeOffset? expires = null) =>
        Remember(_issuer.Sign(subject, key, audience, issuer, notBefore, expires, algorithm, new Dictionary<string, object> { ["env"] = env }));

    private string Remember(string secret)
    {
        lock (_secrets)
        {
            _secrets.Add(secret);
        }

        return secret;
    }

    private async Task<string> LoginOkAsync(string token, string resource = "ci")
    {
        using var anonymous = _app.ClientWith(null);
        var response = await LoginAsync(anonymous, token, resource);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text + " " + (await _actors.AuditAsync("workload.login")).LastOrDefault()?["reason"]);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await BrokerApp.JsonAsync(response);
        Assert.Equal("Bearer", body["token_type"]!.GetValue<string>());
        Assert.Equal("urn:ietf:params:oauth:token-type:access_token", body["issued_token_type"]!.GetValue<string>());
        return Remember(body["access_token"]!.GetValue<string>());
    }

    private async Task AssertInvalidGrantAsync(string? token, string resource = "ci")
    {
        using var anonymous = _app.ClientWith(null);
        var response = await LoginAsync(anonymous, token, resource);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(InvalidGrantBody, await response.Content.ReadAsStringAsync());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Login_Rs256AndEs256_IssueAnAgentKeyNamedAfterTheSubject_WithExactlyTheProfilesGrants()
    {
        foreach (var token in new[] { Sign(), Sign(key: _issuer.Ec, algorithm: SecurityAlgorithms.EcdsaSha256) })
        {
            var access = await LoginOkAsync(token);
            using var agent = _app.ClientWith(access);
            Assert.Equal("app-db-value", (await BrokerApp.JsonAsync(await agent.GetAsync("/v1/agent/credentials/app-db")))["value"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/v1/agent/credentials/payroll")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsJsonAsync("/v1/tokens", new { audience = "https://api.example.com", task = "t" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/v1/keys")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/v1/workload-profiles")).StatusCode);
        }

        using var admin = _app.Admin();
        var keys = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray();
        var issued = keys.Where(k => k!["name"]!.GetValue<string>() == Subject).ToArray();
        Assert.Equal(2, issued.Length);
        Assert.All(issued, k => Assert.Equal("agent", k!["role"]!.GetValue<string>()));
        var logins = await _actors.AuditAsync("workload.login");
        Assert.Equal(2, logins.Count(r => r["outcome"]!.GetValue<string>() == "allowed" && r["target"]!.GetValue<string>() == "profile=ci"));
        Assert.Contains(logins, r => r["reason"]!.GetValue<string>().Contains("subject=" + Subject, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EveryBadToken_GetsTheSameInvalidGrantBody_AndTheRecordSaysWhichCheckFailed()
    {
        using var stranger = RSA.Create(2048);
        var unknownKid = new RsaSecurityKey(stranger) { KeyId = "unknown-kid" };
        var now = DateTimeOffset.UtcNow;
        var cases = new (string Check, string? Token, string Resource)[]
        {
            ("expired", Sign(notBefore: now.AddMinutes(-20), expires: now.AddMinutes(-2)), "ci"),
            ("not_yet_valid", Sign(notBefore: now.AddMinutes(5), expires: now.AddMinutes(15)), "ci"),
            ("audience", Sign(audience: "someone-else"), "ci"),
            ("issuer", Sign(issuer: "https://evil.example.com/issuer"), "ci"),
            ("check=", Remember(_issuer.Unsigned(Subject)), "ci"),
            ("check=", Remember(_issuer.SignedWithPublicKeyAsHmac(Subject)), "ci"),
            ("unknown_kid", Sign(key: unknownKid), "ci"),
            ("subject", Sign(subject: "system:serviceaccount:other:runner"), "ci"),
            ("claim:env", Sign(env: "staging"), "ci"),
            ("profile", Sign(), "no-such-profile"),
            ("malformed", Remember("not-a-jwt-at-all-" + Guid.NewGuid().ToString("n")), "ci"),
            ("too_long", Remember(new string('a', 17 * 1024)), "ci"),
        };

        foreach (var (_, token, resource) in cases)
        {
            await AssertInvalidGrantAsync(token, resource);
        }

        var denied = (await _actors.AuditAsync("workload.login")).Where(r => r["outcome"]!.GetValue<string>() == "denied").Select(r => r["reason"]!.GetValue<string>()).ToArray();
        foreach (var (check, _, _) in cases)
        {
            Assert.Contains(denied, r => r.StartsWith("invalid_grant", StringComparison.Ordinal) && r.Contains(check, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(await _actors.AuditAsync("workload.login"), r => r["outcome"]!.GetValue<string>() == "allowed");
    }

    [Fact]
    public async Task RotatedIssuerKey_IsFetchedOnItsUnknownKid_AndLogsIn()
    {
        await LoginOkAsync(Sign());
        var rotated = _issuer.RotateRsa();
        await LoginOkAsync(Sign(key: rotated));
    }

    [Fact]
    public async Task BadRequests_AnswerTheRfc6749Codes()
    {
        using var anonymous = _app.ClientWith(null);
        async Task AssertError(HttpResponseMessage response, string error)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal($$"""{"error":"{{error}}"}""", await response.Content.ReadAsStringAsync());
        }

        await AssertError(await LoginAsync(anonymous, Sign(), grantType: null), "invalid_request");
        await AssertError(await LoginAsync(anonymous, Sign(), grantType: "client_credentials"), "unsupported_grant_type");
        await AssertError(await LoginAsync(anonymous, Sign(), resource: null), "invalid_request");
        await AssertError(await LoginAsync(anonymous, null), "invalid_request");
        await AssertError(await anonymous.PostAsJsonAsync("/v1/oauth/token", new { grant_type = "urn:ietf:params:oauth:grant-type:token-exchange" }), "invalid_request");

        var tooLarge = new FormUrlEncodedContent([new("grant_type", "x"), new("subject_token", new string('a', 60 * 1024))]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await anonymous.PostAsync("/v1/oauth/token", tooLarge)).StatusCode);
    }

    [Fact]
    public async Task AccessToken_StopsWhenItExpires()
    {
        using (var admin = _app.Admin())
        {
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/workload-profiles", Profile("short", ttlSeconds: 120))).StatusCode);
        }

        using var anonymous = _app.ClientWith(null);
        var body = await BrokerApp.JsonAsync(await LoginAsync(anonymous, Sign(), "short"));
        Assert.Equal(120, body["expires_in"]!.GetValue<int>());
        using var agent = _app.ClientWith(Remember(body["access_token"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/v1/agent/credentials/app-db")).StatusCode);
        _time.Advance(TimeSpan.FromSeconds(121));
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.GetAsync("/v1/agent/credentials/app-db")).StatusCode);
    }

    [Fact]
    public async Task AccessToken_NeverOutlivesTheWorkloadJwt_BeyondTheCheckedSkew()
    {
        using (var admin = _app.Admin())
        {
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/workload-profiles", Profile("long", ttlSeconds: 3600))).StatusCode);
        }

        // The JWT expires in 60 s: the access token lives that and the 30 s skew its check allows, not the profile's hour.
        var now = _time.GetUtcNow();
        using var anonymous = _app.ClientWith(null);
        var body = await BrokerApp.JsonAsync(await LoginAsync(anonymous, Sign(notBefore: now.AddMinutes(-1), expires: now.AddSeconds(60)), "long"));
        Assert.InRange(body["expires_in"]!.GetValue<int>(), 89, 90);
        using var agent = _app.ClientWith(Remember(body["access_token"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/v1/agent/credentials/app-db")).StatusCode);
        _time.Advance(TimeSpan.FromSeconds(91));
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.GetAsync("/v1/agent/credentials/app-db")).StatusCode);
        Assert.Contains(await _actors.AuditAsync("workload.login"), r => r["outcome"]!.GetValue<string>() == "allowed"
            && (r["reason"]!.GetValue<string>().Contains("ttl=89", StringComparison.Ordinal) || r["reason"]!.GetValue<string>().Contains("ttl=90", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ReplacingTheProfile_StopsEveryTokenOfTheOldFields_BeforeTheResponse_AndLoginsGetTheNewOnes()
    {
        var before = await LoginOkAsync(Sign());
        using var old = _app.ClientWith(before);
        Assert.Equal(HttpStatusCode.OK, (await old.GetAsync("/v1/agent/credentials/app-db")).StatusCode);

        // Narrowed: only payroll, and only the deploy service account.
        var narrower = new
        {
            issuer = "k8s", subject = "system:serviceaccount:ci:deploy", claims = new Dictionary<string, string> { ["env"] = "prod*" },
            key = new { credentials = new[] { "payroll" } }, ttlSeconds = 300,
        };
        using var admin = _app.Admin();
        var replaced = await BrokerApp.JsonAsync(await admin.PutAsJsonAsync("/v1/workload-profiles/ci", narrower));
        Assert.Equal(("ci", "system:serviceaccount:ci:deploy", 300), (replaced["name"]!.GetValue<string>(), replaced["subject"]!.GetValue<string>(), replaced["ttlSeconds"]!.GetValue<int>()));
        Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/v1/agent/credentials/app-db")).StatusCode);

        await AssertInvalidGrantAsync(Sign()); // the runner subject no longer matches
        using var now = _app.ClientWith(await LoginOkAsync(Sign(subject: "system:serviceaccount:ci:deploy")));
        Assert.Equal(HttpStatusCode.OK, (await now.GetAsync("/v1/agent/credentials/payroll")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await now.GetAsync("/v1/agent/credentials/app-db")).StatusCode);
        Assert.Contains(await _actors.AuditAsync("workload_profile.update"), r => r["outcome"]!.GetValue<string>() == "allowed" && r["target"]!.GetValue<string>() == "ci");

        // A body that names another profile, or invalid fields: 400 and nothing changes; no such profile: 404.
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync("/v1/workload-profiles/ci", Profile("other"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync("/v1/workload-profiles/ci", new { issuer = "k8s", subject = "a b", key = new { } })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsJsonAsync("/v1/workload-profiles/missing", Profile("missing"))).StatusCode);
        Assert.Equal("system:serviceaccount:ci:deploy", (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/workload-profiles/ci")))["subject"]!.GetValue<string>());
    }

    [Fact]
    public async Task AClaimNameWithSlashes_IsAPathIntoTheTokensObjects_AsInKubernetesTokens()
    {
        using (var admin = _app.Admin())
        {
            var profile = new
            {
                name = "k8s-pods", issuer = "k8s", subject = "system:serviceaccount:*",
                claims = new Dictionary<string, string> { ["kubernetes.io/namespace"] = "ci", ["kubernetes.io/serviceaccount/name"] = "runner-*" },
                key = new { credentials = new[] { "app-*" } },
            };
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/workload-profiles", profile)).StatusCode);
        }

        string Kubernetes(string ns, string account, object? extra = null) => Remember(_issuer.Sign($"system:serviceaccount:{ns}:{account}", claims: new Dictionary<string, object>
        {
            ["kubernetes.io"] = new Dictionary<string, object>
            {
                ["namespace"] = ns,
                ["serviceaccount"] = new Dictionary<string, object> { ["name"] = account, ["uid"] = "0b7c" },
                ["pod"] = extra ?? new Dictionary<string, object> { ["name"] = "runner-abc" },
            },
        }));

        using var agent = _app.ClientWith(await LoginOkAsync(Kubernetes("ci", "runner-1"), "k8s-pods"));
        Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/v1/agent/credentials/app-db")).StatusCode);
        await AssertInvalidGrantAsync(Kubernetes("prod", "runner-1"), "k8s-pods");
        await AssertInvalidGrantAsync(Kubernetes("ci", "deployer"), "k8s-pods");
        await AssertInvalidGrantAsync(Sign(subject: "system:serviceaccount:ci:runner-1"), "k8s-pods"); // no kubernetes.io object at all
        Assert.Contains(await _actors.AuditAsync("workload.login"), r => r["reason"]!.GetValue<string>().Contains("claim:kubernetes.io/namespace", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReplacingAProfile_AuthorizationMatrix()
    {
        async Task<HttpStatusCode> PutAsync(string? key)
        {
            using var client = _app.ClientWith(key);
            using var response = await client.PutAsJsonAsync("/v1/workload-profiles/ci", Profile("ci", ttlSeconds: 600));
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(_actors.Agent.Key));
        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(_actors.Responder.Key));
        Assert.Equal(HttpStatusCode.Unauthorized, await PutAsync(_actors.Revoked.Key));
        Assert.Equal(HttpStatusCode.Unauthorized, await PutAsync(null));
        Assert.Equal(HttpStatusCode.BadRequest, await PutAsync(_actors.AcmeAdmin.Key)); // "k8s" is not an issuer of acme
        using (var acme = _app.ClientWith(_actors.AcmeAdmin.Key))
        {
            Assert.Equal(HttpStatusCode.Created, (await acme.PostAsJsonAsync("/v1/issuers", WorkloadIssuer(_issuer))).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, await PutAsync(_actors.AcmeAdmin.Key)); // and acme has no profile "ci"
        using (var admin = _app.Admin())
        {
            Assert.Equal(900, (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/workload-profiles/ci")))["ttlSeconds"]!.GetValue<int>());
        }

        Assert.Equal(HttpStatusCode.OK, await PutAsync(_actors.OtherAdmin.Key));
        Assert.Equal(HttpStatusCode.OK, await PutAsync(BrokerApp.AdminKey));
    }

    [Fact]
    public async Task DeletingTheProfile_StopsEveryTokenItIssued_BeforeTheResponse_AndLoginsAfterIt()
    {
        var first = await LoginOkAsync(Sign());
        var second = await LoginOkAsync(Sign(key: _issuer.Ec, algorithm: SecurityAlgorithms.EcdsaSha256));
        using var one = _app.ClientWith(first);
        using var two = _app.ClientWith(second);
        Assert.Equal(HttpStatusCode.OK, (await one.GetAsync("/v1/agent/credentials/app-db")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await two.GetAsync("/v1/agent/credentials/app-db")).StatusCode);

        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/workload-profiles/ci")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await one.GetAsync("/v1/agent/credentials/app-db")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await two.GetAsync("/v1/agent/credentials/app-db")).StatusCode);
        await AssertInvalidGrantAsync(Sign());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/v1/workload-profiles/ci")).StatusCode);
        Assert.Contains(await _actors.AuditAsync("workload_profile.delete"), r => r["outcome"]!.GetValue<string>() == "allowed" && r["target"]!.GetValue<string>() == "ci");
    }

    [Fact]
    public async Task SameProfileNameInTwoTenants_IsRefusedAsAmbiguous_UnlessTheResourceNamesTheTenant()
    {
        using (var acme = _app.ClientWith(_actors.AcmeAdmin.Key))
        {
            Assert.Equal(HttpStatusCode.Created, (await acme.PostAsJsonAsync("/v1/issuers", WorkloadIssuer(_issuer))).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await acme.PostAsJsonAsync("/v1/workload-profiles", Profile("ci"))).StatusCode);
        }

        await AssertInvalidGrantAsync(Sign());
        var acmeToken = await LoginOkAsync(Sign(), "acme/ci");
        using (var acmeAgent = _app.ClientWith(acmeToken))
        {
            // The access token is acme's: default's credentials are not there.
            Assert.Equal(HttpStatusCode.NotFound, (await acmeAgent.GetAsync("/v1/agent/credentials/app-db")).StatusCode);
        }

        var defaultToken = await LoginOkAsync(Sign(), "default/ci");
        using var defaultAgent = _app.ClientWith(defaultToken);
        Assert.Equal(HttpStatusCode.OK, (await defaultAgent.GetAsync("/v1/agent/credentials/app-db")).StatusCode);
    }

    [Fact]
    public async Task Create_RefusesAUsersIssuer_BadKeyFields_AndTtlOutOfRange()
    {
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/issuers", new { name = "people", issuer = _issuer.Issuer, jwksUri = _issuer.JwksUri, audiences = new[] { "broker" }, use = "users" })).StatusCode);
        var users = await Actors.AssertProblemAsync(await admin.PostAsJsonAsync("/v1/workload-profiles", Profile("p1", issuer: "people")), HttpStatusCode.BadRequest);
        Assert.NotNull(users["errors"]!["issuer"]);

        var badKey = await admin.PostAsJsonAsync("/v1/workload-profiles", new { name = "p2", issuer = "k8s", subject = "*", key = new { tokens = new { scopes = new[] { "x" } }, subjects = "everyone" }, ttlSeconds = 4000 });
        var errors = (await Actors.AssertProblemAsync(badKey, HttpStatusCode.BadRequest))["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("key.tokens.audiences") && errors.ContainsKey("key.subjects") && errors.ContainsKey("ttlSeconds"), errors.ToJsonString());

        var noKey = await admin.PostAsJsonAsync("/v1/workload-profiles", new { name = "p3", issuer = "k8s", subject = "*" });
        Assert.NotNull((await Actors.AssertProblemAsync(noKey, HttpStatusCode.BadRequest))["errors"]!["key"]);

        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/v1/workload-profiles", Profile("ci"))).StatusCode);
        var list = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/workload-profiles")))["items"]!.AsArray();
        Assert.Equal("ci", Assert.Single(list)!["name"]!.GetValue<string>());
        var one = await BrokerApp.JsonAsync(await admin.GetAsync("/v1/workload-profiles/ci"));
        Assert.Equal(900, one["ttlSeconds"]!.GetValue<int>());
        Assert.Equal("prod*", one["claims"]!["env"]!.GetValue<string>());
        Assert.Equal("app-*", one["key"]!["credentials"]![0]!.GetValue<string>());
        Assert.Contains(await _actors.AuditAsync("workload_profile.create"), r => r["reason"]?.GetValue<string>() == "conflict");
    }

    [Fact]
    public async Task ProfileRoutes_AreForAdminsOfTheirOwnTenantOnly()
    {
        var caller = await _app.CreateKeyAsync(new { name = "alice", role = "caller", agents = new[] { "*" } });
        foreach (var key in new[] { _actors.Responder.Key, _actors.Agent.Key, caller.Key })
        {
            using var client = _app.ClientWith(key);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/v1/workload-profiles", Profile("mine"))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/v1/workload-profiles")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/v1/workload-profiles/ci")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync("/v1/workload-profiles/ci")).StatusCode);
        }

        foreach (var key in new[] { _actors.Revoked.Key, null })
        {
            using var client = _app.ClientWith(key);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/v1/workload-profiles", Profile("mine"))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/workload-profiles")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/workload-profiles/ci")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.DeleteAsync("/v1/workload-profiles/ci")).StatusCode);
        }

        using (var acme = _app.ClientWith(_actors.AcmeAdmin.Key))
        {
            Assert.Empty((await BrokerApp.JsonAsync(await acme.GetAsync("/v1/workload-profiles")))["items"]!.AsArray());
            Assert.Equal(HttpStatusCode.NotFound, (await acme.GetAsync("/v1/workload-profiles/ci")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await acme.DeleteAsync("/v1/workload-profiles/ci")).StatusCode);

            // acme trusts no workloads issuer named k8s: default's issuer is not usable from another tenant.
            var refused = await acme.PostAsJsonAsync("/v1/workload-profiles", Profile("ci"));
            Assert.NotNull((await Actors.AssertProblemAsync(refused, HttpStatusCode.BadRequest))["errors"]!["issuer"]);
        }

        using var other = _app.ClientWith(_actors.OtherAdmin.Key);
        Assert.Single((await BrokerApp.JsonAsync(await other.GetAsync("/v1/workload-profiles")))["items"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/v1/workload-profiles/ci")).StatusCode);
    }
}
