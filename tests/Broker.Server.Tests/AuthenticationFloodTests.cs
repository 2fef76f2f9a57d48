using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Broker.Keys;
using Broker.Server.Security;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Keys;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Server.Tests;

/// <summary>
/// A flood of bogus keys from one address: throttled before the store once the address's failure budget is spent,
/// audited as one record plus one summary per window, and never in the way of a valid agent's cached key.
/// </summary>
public sealed class AuthenticationFloodTests : IDisposable
{
    private const int Budget = 10;
    private const string Attacker = "203.0.113.9";
    private const string Elsewhere = "198.51.100.7";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
    private readonly BrokerApp _app;
    private readonly HttpClient _http;
    private CountingKeyStore? _keys;

    public AuthenticationFloodTests()
    {
        _app = new BrokerApp(_time, new Dictionary<string, string?>
        {
            ["Broker:Authentication:FailureBudget"] = Budget.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Broker:Authentication:Window"] = "00:01:00",
        }, services: s =>
        {
            s.Replace(ServiceDescriptor.Singleton<IKeyStore>(sp => _keys = new CountingKeyStore(new SqliteKeyStore(sp.GetRequiredService<SqliteDatabase>()))));
            s.AddSingleton<IStartupFilter, TestClientAddress>();
        });
        _http = _app.CreateClient();
    }

    private CountingKeyStore Keys => _keys ?? throw new InvalidOperationException("the host has not started");

    public void Dispose()
    {
        _http.Dispose();
        _app.Dispose();
    }

    [Fact]
    public async Task Flood_OfDistinctBogusKeys_GetsTheBudgetOf401s_Then429sWithoutStoreLookups_WhileAValidAgentIsServed()
    {
        await _app.PutAsync("openai_key", "sk-served-throughout");
        var (_, agent) = await _app.CreateKeyAsync(new { name = "behind-the-same-nat", role = "agent", credentials = new[] { "openai_*" } });
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(agent, Attacker, "/v1/agent/credentials/openai_key")).StatusCode);
        var lookups = Keys.Lookups;

        var flood = new ConcurrentBag<HttpStatusCode>();
        var served = new ConcurrentBag<HttpStatusCode>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 300), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var response = await SendAsync(KeySecrets.NewSecret(), Attacker, "/v1/agent/credentials");
            flood.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 60 }, response.Headers.RetryAfter?.ToString());
                Assert.Equal(Problems.ContentType, response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(429, (await BrokerApp.JsonAsync(response))["status"]!.GetValue<int>());
            }

            if (i % 10 == 0)
            {
                using var read = await SendAsync(agent, Attacker, "/v1/agent/credentials/openai_key");
                served.Add(read.StatusCode);
            }
        });

        Assert.Equal(Budget, flood.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(300 - Budget, flood.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(30, served.Count);
        Assert.All(served, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(Budget, Keys.Lookups - lookups);
    }

    [Fact]
    public async Task Flood_IsAuditedAsOneRecord_ThenOneSummaryWithTheCount_PerAddressAndWindow()
    {
        var before = (await AuditAsync()).Count;
        var bogus = Enumerable.Range(0, 300).Select(_ => KeySecrets.NewSecret()).ToArray();
        await Parallel.ForEachAsync(bogus, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (key, ct) =>
        {
            using var response = await SendAsync(key, Attacker, "/v1/credentials");
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests });
        });

        var during = await AuditAsync();
        Assert.Equal(before + 1, during.Count);
        var first = Assert.Single(during, r => r["action"]!.GetValue<string>() == "request.denied");
        Assert.Equal(Attacker, first["clientAddress"]!.GetValue<string>());
        Assert.Equal("unauthenticated:401", first["reason"]!.GetValue<string>());

        // The window ends: the rest of it becomes one summary record.
        _time.Advance(TimeSpan.FromSeconds(61));
        var after = await WaitForAuditAsync(before + 2);
        var summary = after.Last();
        Assert.Equal("request.denied", summary["action"]!.GetValue<string>());
        Assert.Equal("denied", summary["outcome"]!.GetValue<string>());
        Assert.Equal("unauthenticated:401", summary["reason"]!.GetValue<string>());
        Assert.Equal($"client={Attacker} count=299 throttled={300 - Budget} since=2026-11-23T10:00:00Z", summary["target"]!.GetValue<string>());
        Assert.Equal(Attacker, summary["clientAddress"]!.GetValue<string>());
        Assert.Null(summary["actor"]!["keyId"]);

        var text = string.Join("\n", after.Select(r => r.ToJsonString()));
        Assert.All(bogus, key => Assert.DoesNotContain(key, text, StringComparison.Ordinal));
        using var verify = await SendAsync(BrokerApp.AdminKey, null, "/v1/audit/verify");
        Assert.True((await BrokerApp.JsonAsync(verify))["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task NextWindow_RestoresTheBudget_AndTheFirstFailureIsRecordedAgain()
    {
        for (var i = 0; i < Budget + 5; i++)
        {
            using var _ = await SendAsync(KeySecrets.NewSecret(), Attacker, "/v1/credentials");
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(KeySecrets.NewSecret(), Attacker, "/v1/credentials")).StatusCode);
        var lookups = Keys.Lookups;
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(KeySecrets.NewSecret(), Attacker, "/v1/credentials")).StatusCode);
        Assert.Equal(lookups + 1, Keys.Lookups);
        var denied = await WaitForAuditAsync(3, "request.denied"); // first of window 1, its summary, first of window 2
        Assert.Equal(2, denied.Count(r => r["requestId"]!.GetValue<string>() != "summary"));
    }

    [Fact]
    public async Task Throttle_IsPerClientAddress_AndIgnoresXForwardedFor()
    {
        for (var i = 0; i < Budget; i++)
        {
            using var _ = await SendAsync(KeySecrets.NewSecret(), Attacker, "/v1/credentials");
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(KeySecrets.NewSecret(), Attacker, "/v1/credentials")).StatusCode);

        // A forwarded-for header is not trusted unless forwarded headers are configured: still the attacker's budget.
        using var forwarded = new HttpRequestMessage(HttpMethod.Get, "/v1/credentials");
        forwarded.Headers.Authorization = new AuthenticationHeaderValue("Bearer", KeySecrets.NewSecret());
        forwarded.Headers.Add(TestClientAddress.Header, Attacker);
        forwarded.Headers.Add("X-Forwarded-For", Elsewhere);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await _http.SendAsync(forwarded)).StatusCode);

        // Another address has its own budget.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(KeySecrets.NewSecret(), Elsewhere, "/v1/credentials")).StatusCode);
    }

    [Fact]
    public async Task OverBudget_AValidKeyTheCacheDoesNotKnowYet_Gets429_ButOnceKnownIsServedFromThatAddress()
    {
        var (_, agent) = await _app.CreateKeyAsync(new { name = "first-use", role = "agent", credentials = new[] { "*" } });
        for (var i = 0; i < Budget; i++)
        {
            using var _ = await SendAsync(KeySecrets.NewSecret(), Attacker, "/v1/credentials");
        }

        // Unknown to the cache, it would need a lookup: refused like any key from this address, with no lookup.
        var lookups = Keys.Lookups;
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(agent, Attacker, "/v1/agent/credentials")).StatusCode);
        Assert.Equal(lookups, Keys.Lookups);

        // Used once from elsewhere, the cache knows it as valid: served from the throttled address too.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(agent, Elsewhere, "/v1/agent/credentials")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(agent, Attacker, "/v1/agent/credentials")).StatusCode);
    }

    [Fact]
    public async Task RevokedKey_HammeredBeyondTheBudget_Stays401_AnsweredFromMemory()
    {
        var (id, key) = await _app.CreateKeyAsync(new { name = "leaked", role = "agent", credentials = new[] { "*" } });
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(key, Attacker, "/v1/agent/credentials")).StatusCode);
        using (var admin = _app.Admin())
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/keys/{id}/revoke", null)).StatusCode);
        }

        var lookups = Keys.Lookups;
        for (var i = 0; i < Budget * 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(key, Attacker, "/v1/agent/credentials")).StatusCode);
        }

        Assert.Equal(lookups + 1, Keys.Lookups);

        // The failures still spend the address's budget for keys that would need a lookup.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(KeySecrets.NewSecret(), Attacker, "/v1/agent/credentials")).StatusCode);
    }

    [Fact]
    public async Task MissingAndMalformedKeys_Get401WithoutLookups_AndAreSummarizedToo()
    {
        var before = (await AuditAsync()).Count;
        var lookups = Keys.Lookups;
        for (var i = 0; i < 100; i++)
        {
            using var response = await SendAsync(i % 2 == 0 ? null : "not-a-broker-key", Attacker, "/v1/credentials");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Equal(lookups, Keys.Lookups);
        Assert.Equal(before + 1, (await AuditAsync()).Count);
        _time.Advance(TimeSpan.FromSeconds(61));
        var summary = (await WaitForAuditAsync(before + 2)).Last();
        Assert.StartsWith($"client={Attacker} count=99 throttled=0 ", summary["target"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> SendAsync(string? key, string? address, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (address is not null)
        {
            request.Headers.Add(TestClientAddress.Header, address);
        }

        return await _http.SendAsync(request);
    }

    private async Task<List<JsonNode>> AuditAsync(string? action = null)
    {
        using var response = await SendAsync(BrokerApp.AdminKey, null, "/v1/audit?limit=1000" + (action is null ? "" : "&action=" + action));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await BrokerApp.JsonAsync(response))["items"]!.AsArray().Select(n => n!).ToList();
    }

    /// <summary>The background summary is written after the window ends: poll for it with a deadline.</summary>
    private async Task<List<JsonNode>> WaitForAuditAsync(int count, string? action = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var items = await AuditAsync(action);
            if (items.Count >= count)
            {
                Assert.Equal(count, items.Count);
                return items;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{items.Count} of {count} audit records");
            await Task.Delay(20);
        }
    }
}

/// <summary>Behind a configured reverse proxy the client is the address it forwards, and only from that proxy.</summary>
public sealed class TrustedProxyTests : IDisposable
{
    private const string Proxy = "10.0.0.5";
    private readonly BrokerApp _app = new(settings: new Dictionary<string, string?>
    {
        ["Broker:Authentication:FailureBudget"] = "3",
        ["Broker:TrustedProxies:0"] = Proxy,
        ["Broker:TrustedProxies:1"] = "192.0.2.0/28",
    }, services: s => s.Insert(0, ServiceDescriptor.Singleton<IStartupFilter, TestClientAddress>()));

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task ForwardedFor_FromATrustedProxy_IsTheClient_FromAnyoneElseIgnored()
    {
        using var http = _app.CreateClient();
        async Task<HttpStatusCode> Send(string remote, string? forwardedFor)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/credentials");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", KeySecrets.NewSecret());
            request.Headers.Add(TestClientAddress.Header, remote);
            if (forwardedFor is not null)
            {
                request.Headers.Add("X-Forwarded-For", forwardedFor);
            }

            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        // Through the proxy, 203.0.113.9 spends its own budget...
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await Send(Proxy, "203.0.113.9"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await Send(Proxy, "203.0.113.9"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await Send("192.0.2.3", "203.0.113.9"));

        // ...not the proxy's, nor another client's behind it; and a client's own header is not believed.
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(Proxy, "198.51.100.7"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send("198.51.100.99", "203.0.113.9"));

        using var admin = _app.Admin();
        var denied = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit?action=request.denied")))["items"]!.AsArray();
        Assert.Equal(["198.51.100.7", "198.51.100.99", "203.0.113.9"], denied.Select(d => d!["clientAddress"]!.GetValue<string>()).Order().ToArray());
    }

    [Fact]
    public void TrustedProxies_ThatAreNotAddresses_StopTheStart()
    {
        using var app = new BrokerApp(settings: new Dictionary<string, string?> { ["Broker:TrustedProxies:0"] = "proxy.example" });
        var error = Assert.Throws<InvalidOperationException>(() => app.CreateClient());
        Assert.Contains("Broker:TrustedProxies", error.Message, StringComparison.Ordinal);
    }
}
