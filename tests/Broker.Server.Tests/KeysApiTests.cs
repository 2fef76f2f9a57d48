using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Server.Tests;

public sealed class KeysApiTests : IDisposable
{
    private readonly BrokerApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Create_ShowsKeyOnce_ListShowsPrefixNeverKey()
    {
        var (id, key) = await _app.CreateKeyAsync(new { name = "agent-1", role = "agent", credentials = new[] { "openai_*" } });
        Assert.StartsWith("brk_", key, StringComparison.Ordinal);
        Assert.True(key.Length >= 4 + 22); // >= 128 bits of base64url randomness
        using var admin = _app.Admin();
        var listText = await admin.GetStringAsync("/v1/keys");
        Assert.DoesNotContain(key, listText, StringComparison.Ordinal);
        Assert.DoesNotContain(key[12..], listText, StringComparison.Ordinal);
        var item = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray().Single(i => i!["id"]!.GetValue<string>() == id)!;
        Assert.Equal(key[..12], item["prefix"]!.GetValue<string>());
        Assert.Equal("active", item["status"]!.GetValue<string>());
        foreach (var field in new[] { "id", "name", "role", "tenant", "prefix", "status", "createdAt", "expiresAt", "lastUsedAt", "revokedAt" })
        {
            Assert.True(item.AsObject().ContainsKey(field), field);
        }
    }

    [Fact]
    public async Task Unauthenticated_Responses_AreIdentical_ForMissingUnknownRevokedExpired()
    {
        var (revokedId, revoked) = await _app.CreateKeyAsync(new { name = "r", role = "admin" });
        using (var admin = _app.Admin())
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/keys/{revokedId}/revoke", null)).StatusCode);
        }

        var bodies = new List<string>();
        var headers = new List<string>();
        foreach (var key in new[] { null, "brk_unknown-key-value-aaaaaaaaaaaaaaaa", "not-even-a-key", revoked })
        {
            using var client = _app.ClientWith(key);
            var response = await client.GetAsync("/v1/credentials");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            bodies.Add(await response.Content.ReadAsStringAsync());
            headers.Add(string.Join("|", response.Headers.Where(h => h.Key != "Date").OrderBy(h => h.Key).Select(h => h.Key + "=" + string.Join(",", h.Value)))
                + string.Join("|", response.Content.Headers.Select(h => h.Key + "=" + string.Join(",", h.Value))));
        }

        Assert.Single(bodies.Distinct());
        Assert.Single(headers.Distinct());
        Assert.DoesNotContain(revoked, bodies[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Roles_AreEnforcedOnEveryRoute()
    {
        var (_, responder) = await _app.CreateKeyAsync(new { name = "resp", role = "responder" });
        var (_, agent) = await _app.CreateKeyAsync(new { name = "agent", role = "agent", credentials = new[] { "*" } });
        var (_, caller) = await _app.CreateKeyAsync(new { name = "caller", role = "caller", agents = new[] { "*" } });
        var (targetId, _) = await _app.CreateKeyAsync(new { name = "target", role = "caller" });

        async Task<HttpStatusCode> Call(string key, HttpMethod method, string url, object? body = null)
        {
            using var client = _app.ClientWith(key);
            using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
            return (await client.SendAsync(request)).StatusCode;
        }

        // responder: list, revoke, revoke-leaked; never credentials, key creation, rotation, agent routes
        Assert.Equal(HttpStatusCode.OK, await Call(responder, HttpMethod.Get, "/v1/keys"));
        Assert.Equal(HttpStatusCode.Forbidden, await Call(responder, HttpMethod.Post, "/v1/keys", new { name = "x", role = "admin" }));
        Assert.Equal(HttpStatusCode.Forbidden, await Call(responder, HttpMethod.Get, "/v1/credentials"));
        Assert.Equal(HttpStatusCode.Forbidden, await Call(responder, HttpMethod.Post, $"/v1/keys/{targetId}/rotate", new { }));
        Assert.Equal(HttpStatusCode.Forbidden, await Call(responder, HttpMethod.Get, "/v1/agent/credentials"));

        // agent: agent routes only
        Assert.Equal(HttpStatusCode.OK, await Call(agent, HttpMethod.Get, "/v1/agent/credentials"));
        Assert.Equal(HttpStatusCode.Forbidden, await Call(agent, HttpMethod.Get, "/v1/keys"));
        Assert.Equal(HttpStatusCode.Forbidden, await Call(agent, HttpMethod.Get, "/v1/credentials"));
        Assert.Equal(HttpStatusCode.Forbidden, await Call(agent, HttpMethod.Post, $"/v1/keys/{targetId}/revoke"));

        // caller: nothing on the broker
        Assert.Equal(HttpStatusCode.Forbidden, await Call(caller, HttpMethod.Get, "/v1/agent/credentials"));
        Assert.Equal(HttpStatusCode.Forbidden, await Call(caller, HttpMethod.Post, "/v1/inbound/verify", new { key = "brk_x", agent = "a" }));
        Assert.Equal(HttpStatusCode.Forbidden, await Call(caller, HttpMethod.Get, "/v1/keys"));

        // admin cannot do agent things
        Assert.Equal(HttpStatusCode.Forbidden, await Call(BrokerApp.AdminKey, HttpMethod.Get, "/v1/agent/credentials"));
        Assert.Equal(HttpStatusCode.Forbidden, await Call(BrokerApp.AdminKey, HttpMethod.Post, "/v1/inbound/verify", new { key = "brk_x", agent = "a" }));

        // responder revokes
        Assert.Equal(HttpStatusCode.OK, await Call(responder, HttpMethod.Post, $"/v1/keys/{targetId}/revoke"));
    }

    [Fact]
    public async Task TenantMatrix_AKeyOfOneTenantSeesNothingOfAnother()
    {
        // The bootstrap admin creates an admin in tenant "acme"; everything else is done by tenant keys.
        var (_, acmeAdmin) = await _app.CreateKeyAsync(new { name = "acme-admin", role = "admin", tenant = "acme" });
        var (defaultCallerId, defaultCaller) = await _app.CreateKeyAsync(new { name = "c", role = "caller", agents = new[] { "*" } });
        var (acmeAgentId, acmeAgent) = await _app.CreateKeyAsync(new { name = "acme-agent", role = "agent", credentials = new[] { "*" } }, acmeAdmin);
        await _app.PutAsync("default_secret", "default-tenant-value");

        using var acme = _app.ClientWith(acmeAdmin);
        Assert.Empty((await BrokerApp.JsonAsync(await acme.GetAsync("/v1/credentials")))["items"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await acme.GetAsync("/v1/credentials/default_secret")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await acme.DeleteAsync("/v1/credentials/default_secret")).StatusCode);
        var acmeKeys = (await BrokerApp.JsonAsync(await acme.GetAsync("/v1/keys")))["items"]!.AsArray();
        Assert.All(acmeKeys, k => Assert.Equal("acme", k!["tenant"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, (await acme.PostAsync($"/v1/keys/{defaultCallerId}/revoke", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await acme.PostAsJsonAsync($"/v1/keys/{defaultCallerId}/rotate", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await acme.PostAsJsonAsync("/v1/keys/revoke-leaked", new { key = defaultCaller })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await acme.PostAsJsonAsync("/v1/keys", new { name = "x", role = "admin", tenant = "default" })).StatusCode);

        using var agent = _app.ClientWith(acmeAgent);
        var read = await BrokerApp.JsonAsync(await agent.GetAsync("/v1/agent/credentials"));
        Assert.Empty(read["credentials"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await agent.GetAsync("/v1/agent/credentials/default_secret")).StatusCode);
        var verify = await BrokerApp.JsonAsync(await agent.PostAsJsonAsync("/v1/inbound/verify", new { key = defaultCaller, agent = "acme-agent" }));
        Assert.False(verify["valid"]!.GetValue<bool>());
        Assert.Equal("unknown", verify["reason"]!.GetValue<string>());
        Assert.Null(verify["keyId"]);

        // and the caller key still works in its own tenant: nothing was revoked
        using var admin = _app.Admin();
        var status = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray().Single(i => i!["id"]!.GetValue<string>() == defaultCallerId)!["status"]!.GetValue<string>();
        Assert.Equal("active", status);
        Assert.NotEqual(acmeAgentId, defaultCallerId);
    }

    [Fact]
    public async Task Verify_ReportsEveryReason()
    {
        // verifyAs lets this key ask for billing-agent too, so the caller's own agents patterns are what refuse it below.
        var (_, agent) = await _app.CreateKeyAsync(new { name = "support-agent", role = "agent", verifyAs = new[] { "billing-agent" } });
        var (callerId, caller) = await _app.CreateKeyAsync(new { name = "customer-1", role = "caller", agents = new[] { "support-*" } });
        var (_, otherRole) = await _app.CreateKeyAsync(new { name = "agent-2", role = "agent" });
        var (revokedId, revoked) = await _app.CreateKeyAsync(new { name = "gone", role = "caller", agents = new[] { "*" } });
        var (_, limited) = await _app.CreateKeyAsync(new { name = "lim", role = "caller", agents = new[] { "*" }, rateLimitPerMinute = 1 });
        var (_, quota) = await _app.CreateKeyAsync(new { name = "quota", role = "caller", agents = new[] { "*" }, quotaPerDay = 1 });
        using (var admin = _app.Admin())
        {
            await admin.PostAsync($"/v1/keys/{revokedId}/revoke", null);
        }

        using var client = _app.ClientWith(agent);
        async Task<(bool Valid, string? Reason, string? KeyId)> Verify(string key, string agentName = "support-agent")
        {
            var json = await BrokerApp.JsonAsync(await client.PostAsJsonAsync("/v1/inbound/verify", new { key, agent = agentName }));
            return (json["valid"]!.GetValue<bool>(), json["reason"]?.GetValue<string>(), json["keyId"]?.GetValue<string>());
        }

        var ok = await Verify(caller);
        Assert.True(ok.Valid);
        Assert.Equal(callerId, ok.KeyId);
        Assert.Equal("unknown", (await Verify("brk_nobody-has-this-key-aaaaaaaaaaa")).Reason);
        Assert.Equal("revoked", (await Verify(revoked)).Reason);
        Assert.Equal("forbidden", (await Verify(caller, "billing-agent")).Reason);
        Assert.Equal("forbidden", (await Verify(otherRole)).Reason);
        Assert.True((await Verify(limited)).Valid);
        Assert.Equal("rate_limited", (await Verify(limited)).Reason);
        Assert.True((await Verify(quota)).Valid);
        Assert.Equal("quota_exceeded", (await Verify(quota)).Reason);
        var missing = await client.PostAsJsonAsync("/v1/inbound/verify", new { agent = "support-agent" });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }

    [Fact]
    public async Task RevokeLeaked_RevokesAndReports_ThenTheKeyIsDead()
    {
        var (id, key) = await _app.CreateKeyAsync(new { name = "leaky", role = "agent", credentials = new[] { "*" } });
        using (var agent = _app.ClientWith(key))
        {
            Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/v1/agent/credentials")).StatusCode);
        }

        var (_, responder) = await _app.CreateKeyAsync(new { name = "oncall", role = "responder" });
        using var client = _app.ClientWith(responder);
        var response = await client.PostAsJsonAsync("/v1/keys/revoke-leaked", new { key });
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(key, text, StringComparison.Ordinal);
        var json = await BrokerApp.JsonAsync(response);
        Assert.Equal(id, json["id"]!.GetValue<string>());
        Assert.Equal("revoked", json["status"]!.GetValue<string>());
        Assert.NotNull(json["revokedAt"]);
        Assert.NotNull(json["lastUsedAt"]);
        Assert.NotNull(json["recentUse"]);

        using var dead = _app.ClientWith(key);
        Assert.Equal(HttpStatusCode.Unauthorized, (await dead.GetAsync("/v1/agent/credentials")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/v1/keys/revoke-leaked", new { key = "brk_not-a-key-of-ours-aaaaaaaaaaaa" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/v1/keys/revoke-leaked", new { })).StatusCode);
    }

    [Fact]
    public async Task RevokeLeaked_OfACallerKey_ReportsTheAgentsVerifiesOfIt()
    {
        var (_, agent) = await _app.CreateKeyAsync(new { name = "support-agent", role = "agent" });
        var (callerId, caller) = await _app.CreateKeyAsync(new { name = "customer-7", role = "caller", agents = new[] { "support-*" } });
        using (var client = _app.ClientWith(agent))
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.True((await BrokerApp.JsonAsync(await client.PostAsJsonAsync("/v1/inbound/verify", new { key = caller, agent = "support-agent" })))["valid"]!.GetValue<bool>());
            }
        }

        using var admin = _app.Admin();
        var report = await BrokerApp.JsonAsync(await admin.PostAsJsonAsync("/v1/keys/revoke-leaked", new { key = caller }));
        var uses = report["recentUse"]!.AsArray();
        Assert.Equal(3, uses.Count(u => u!["action"]!.GetValue<string>() == "inbound.verify" && u["target"]!.GetValue<string>() == callerId));
        Assert.All(uses, u => Assert.NotNull(u!["time"]));
        Assert.Contains(uses, u => u!["clientAddress"] is not null || u["actor"]!["name"]!.GetValue<string>() == "support-agent");
    }

    [Fact]
    public async Task Revoke_UnderLoad_NoRequestStartedAfterTheResponseSucceeds()
    {
        await _app.PutAsync("openai_key", "sk-under-load");
        var (id, key) = await _app.CreateKeyAsync(new { name = "hot", role = "agent", credentials = new[] { "*" } });
        var revokedAt = long.MaxValue; // Stopwatch ticks when the revoke response arrived
        var violations = new ConcurrentBag<long>();
        var successes = 0;
        using var stop = new CancellationTokenSource();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        async Task Hammer()
        {
            using var client = _app.ClientWith(key);
            while (!stop.IsCancellationRequested)
            {
                var started = clock.ElapsedTicks;
                using var response = await client.GetAsync("/v1/agent/credentials/openai_key");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref successes);
                    if (started > Interlocked.Read(ref revokedAt))
                    {
                        violations.Add(started);
                    }
                }
            }
        }

        var workers = Enumerable.Range(0, 6).Select(_ => Task.Run(Hammer)).ToArray();
        while (Volatile.Read(ref successes) < 50)
        {
            await Task.Delay(5);
        }

        using (var admin = _app.Admin())
        {
            var response = await admin.PostAsync($"/v1/keys/{id}/revoke", null);
            Interlocked.Exchange(ref revokedAt, clock.ElapsedTicks);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var after = Volatile.Read(ref successes);
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(1);
        while (clock.Elapsed < deadline)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Empty(violations);
        Assert.True(after >= 50);
    }

    [Fact]
    public async Task RateLimit_AdmitsExactlyN_UnderParallelLoad_With429RetryAfter()
    {
        var (_, key) = await _app.CreateKeyAsync(new { name = "limited-agent", role = "agent", credentials = new[] { "*" }, rateLimitPerMinute = 25 });
        var statuses = new ConcurrentBag<HttpStatusCode>();
        string? retryAfter = null;

        // One client shared by the parallel requests: WebApplicationFactory records the clients it creates in a list
        // that is not safe to add to from several threads (a lost or null entry broke its Dispose).
        using var client = _app.ClientWith(key);
        await Parallel.ForEachAsync(Enumerable.Range(0, 80), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, ct) =>
        {
            using var response = await client.GetAsync("/v1/agent/credentials", ct);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                retryAfter = response.Headers.RetryAfter?.ToString();
            }
        });

        Assert.Equal(25, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(55, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.False(string.IsNullOrEmpty(retryAfter));
    }

    [Fact]
    public async Task VerifyQuota_IsExact_UnderParallelLoad()
    {
        var (_, agent) = await _app.CreateKeyAsync(new { name = "verifier", role = "agent" });
        var (_, caller) = await _app.CreateKeyAsync(new { name = "q", role = "caller", agents = new[] { "*" }, quotaPerDay = 30 });
        var valid = 0;
        using var client = _app.ClientWith(agent); // shared, as above
        await Parallel.ForEachAsync(Enumerable.Range(0, 100), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, ct) =>
        {
            var json = await BrokerApp.JsonAsync(await client.PostAsJsonAsync("/v1/inbound/verify", new { key = caller, agent = "verifier" }, ct));
            if (json["valid"]!.GetValue<bool>())
            {
                Interlocked.Increment(ref valid);
            }
            else
            {
                Assert.Equal("quota_exceeded", json["reason"]!.GetValue<string>());
            }
        });

        Assert.Equal(30, valid);
    }

    [Fact]
    public async Task CreateKey_Validation()
    {
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/v1/keys", new { name = "x", role = "superuser" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/v1/keys", new { role = "agent" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/v1/keys", new { name = "x", role = "agent", rateLimitPerMinute = 0 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/v1/keys", new { name = "x", role = "agent", expiresAt = DateTimeOffset.UtcNow.AddDays(-1) })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/v1/keys", new { name = "x", role = "agent", tenant = "Bad Tenant" })).StatusCode);
    }
}

public sealed class KeyTimeTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
    private readonly BrokerApp _app;

    public KeyTimeTests() => _app = new BrokerApp(_time);

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Rotate_OldSecretWorksThroughGrace_ThenStops_RevokeStopsBoth()
    {
        var (id, oldKey) = await _app.CreateKeyAsync(new { name = "rot", role = "agent", credentials = new[] { "*" } });
        using var admin = _app.Admin();
        var rotated = await BrokerApp.JsonAsync(await admin.PostAsJsonAsync($"/v1/keys/{id}/rotate", new { graceSeconds = 60 }));
        Assert.Equal(id, rotated["id"]!.GetValue<string>());
        var newKey = rotated["key"]!.GetValue<string>();
        Assert.NotEqual(oldKey, newKey);

        using var oldClient = _app.ClientWith(oldKey);
        using var newClient = _app.ClientWith(newKey);
        Assert.Equal(HttpStatusCode.OK, (await oldClient.GetAsync("/v1/agent/credentials")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await newClient.GetAsync("/v1/agent/credentials")).StatusCode);

        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.Unauthorized, (await oldClient.GetAsync("/v1/agent/credentials")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await newClient.GetAsync("/v1/agent/credentials")).StatusCode);

        var again = await BrokerApp.JsonAsync(await admin.PostAsJsonAsync($"/v1/keys/{id}/rotate", new { graceSeconds = 600 }));
        using var third = _app.ClientWith(again["key"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await newClient.GetAsync("/v1/agent/credentials")).StatusCode);
        await admin.PostAsync($"/v1/keys/{id}/revoke", null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await newClient.GetAsync("/v1/agent/credentials")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await third.GetAsync("/v1/agent/credentials")).StatusCode);
    }

    [Fact]
    public async Task Rotate_WithoutGrace_StopsTheOldSecretAtOnce()
    {
        var (id, oldKey) = await _app.CreateKeyAsync(new { name = "rot0", role = "agent" });
        using var oldClient = _app.ClientWith(oldKey);
        Assert.Equal(HttpStatusCode.OK, (await oldClient.GetAsync("/v1/agent/credentials")).StatusCode);
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/v1/keys/{id}/rotate", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await oldClient.GetAsync("/v1/agent/credentials")).StatusCode);
    }

    [Fact]
    public async Task Expiry_TakesEffectWithoutAnyWrite_AndVerifySaysExpired()
    {
        var (_, agent) = await _app.CreateKeyAsync(new { name = "verifier", role = "agent" });
        var (_, expiring) = await _app.CreateKeyAsync(new { name = "temp", role = "agent", expiresAt = _time.GetUtcNow().AddMinutes(5) });
        var (_, caller) = await _app.CreateKeyAsync(new { name = "tempcaller", role = "caller", agents = new[] { "*" }, expiresAt = _time.GetUtcNow().AddMinutes(5) });
        using var client = _app.ClientWith(expiring);
        using var agentClient = _app.ClientWith(agent);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/agent/credentials")).StatusCode);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/agent/credentials")).StatusCode);
        var verify = await BrokerApp.JsonAsync(await agentClient.PostAsJsonAsync("/v1/inbound/verify", new { key = caller, agent = "verifier" }));
        Assert.Equal("expired", verify["reason"]!.GetValue<string>());
        using var admin = _app.Admin();
        var items = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray();
        Assert.Equal("expired", items.Single(i => i!["name"]!.GetValue<string>() == "temp")!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task RateLimit_HoldsOverAnySixtySecondWindow()
    {
        var (_, agent) = await _app.CreateKeyAsync(new { name = "verifier", role = "agent" });
        var (_, caller) = await _app.CreateKeyAsync(new { name = "slow", role = "caller", agents = new[] { "*" }, rateLimitPerMinute = 3 });
        using var client = _app.ClientWith(agent);
        async Task<string?> Verify() => (await BrokerApp.JsonAsync(await client.PostAsJsonAsync("/v1/inbound/verify", new { key = caller, agent = "verifier" })))["reason"]?.GetValue<string>();

        Assert.Null(await Verify());
        _time.Advance(TimeSpan.FromSeconds(40));
        Assert.Null(await Verify());
        Assert.Null(await Verify());
        Assert.Equal("rate_limited", await Verify());
        _time.Advance(TimeSpan.FromSeconds(21)); // the first use left the window; the two at t=40 are still in it
        Assert.Null(await Verify());
        Assert.Equal("rate_limited", await Verify());
    }

    [Fact]
    public async Task Quota_ResetsAtMidnightUtc()
    {
        var (_, agent) = await _app.CreateKeyAsync(new { name = "verifier", role = "agent" });
        var (_, caller) = await _app.CreateKeyAsync(new { name = "daily", role = "caller", agents = new[] { "*" }, quotaPerDay = 1 });
        using var client = _app.ClientWith(agent);
        async Task<string?> Verify() => (await BrokerApp.JsonAsync(await client.PostAsJsonAsync("/v1/inbound/verify", new { key = caller, agent = "verifier" })))["reason"]?.GetValue<string>();
        Assert.Null(await Verify());
        Assert.Equal("quota_exceeded", await Verify());
        _time.Advance(TimeSpan.FromHours(14)); // 10:00 + 14h = 00:00 next day
        Assert.Null(await Verify());
    }
}
