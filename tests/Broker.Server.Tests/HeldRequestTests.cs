using System.Net;
using System.Net.Http.Json;
using Broker.Audit;
using Broker.Credentials;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Server.Tests;

/// <summary>
/// A request that waits (a long-poll) was authenticated before its wait; whatever happens to its key during the wait
/// (revoke, rotation, expiry) must hold when it answers: the same 401 as an unknown key, and never a value.
/// </summary>
public sealed class HeldRequestTests : IDisposable
{
    private readonly BrokerApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task LongPoll_ParkedBeforeARevoke_Answers401_NotTheValueWrittenAfterIt()
    {
        await _app.PutAsync("openai_key", "sk-before-revoke");
        var (id, key) = await _app.CreateKeyAsync(new { name = "parked", role = "agent", credentials = new[] { "openai_*" } });
        using var agent = _app.ClientWith(key);
        var cursor = await CursorAsync(agent);
        var poll = agent.GetAsync($"/v1/agent/credentials?since={cursor}&wait=30");
        await WaitForParkedAsync(_app, 1);

        using (var admin = _app.Admin())
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/keys/{id}/revoke", null)).StatusCode);
        }

        await _app.PutAsync("openai_key", "sk-written-after-revoke");
        using var response = await poll.WaitAsync(TimeSpan.FromSeconds(20));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("sk-", body, StringComparison.Ordinal);
        await AssertSameAsUnknownKeyAsync(response, body);
    }

    [Fact]
    public async Task LongPoll_IsWokenByARevokeOfItsKey_WithoutAnyChange()
    {
        await _app.PutAsync("openai_key", "sk-unchanged-value");
        var (id, key) = await _app.CreateKeyAsync(new { name = "woken", role = "agent", credentials = new[] { "openai_*" } });
        var (_, other) = await _app.CreateKeyAsync(new { name = "bystander", role = "agent", credentials = new[] { "openai_*" } });
        using var agent = _app.ClientWith(key);
        using var bystander = _app.ClientWith(other);
        var cursor = await CursorAsync(agent);
        var poll = agent.GetAsync($"/v1/agent/credentials?since={cursor}&wait=60");
        var unaffected = bystander.GetAsync($"/v1/agent/credentials?since={cursor}&wait=60");
        await WaitForParkedAsync(_app, 2);

        using (var admin = _app.Admin())
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/keys/{id}/revoke", null)).StatusCode);
        }

        // Nothing changed: only the revoke can end this wait well before its 60 s.
        using var response = await poll.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        // The other key's poll keeps waiting, and still gets the next change.
        Assert.False(unaffected.IsCompleted);
        await _app.PutAsync("openai_key", "sk-next-value");
        using var next = await unaffected.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal("sk-next-value", (await BrokerApp.JsonAsync(next))["credentials"]!.AsArray().Single()!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task LongPoll_ParkedBeforeARotationWithoutGrace_Answers401ForTheOldSecret()
    {
        await _app.PutAsync("openai_key", "sk-before-rotation");
        var (id, key) = await _app.CreateKeyAsync(new { name = "rotated", role = "agent", credentials = new[] { "openai_*" } });
        using var agent = _app.ClientWith(key);
        var cursor = await CursorAsync(agent);
        var poll = agent.GetAsync($"/v1/agent/credentials?since={cursor}&wait=30");
        await WaitForParkedAsync(_app, 1);

        using (var admin = _app.Admin())
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/v1/keys/{id}/rotate", new { })).StatusCode);
        }

        await _app.PutAsync("openai_key", "sk-after-rotation");
        using var response = await poll.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("sk-after-rotation", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LongPoll_RefusedAfterItsWait_IsAuditedAsDenied_WithTheKeyAsActor()
    {
        var (id, key) = await _app.CreateKeyAsync(new { name = "audited", role = "agent", credentials = new[] { "*" } });
        using var agent = _app.ClientWith(key);
        var cursor = await CursorAsync(agent);
        var poll = agent.GetAsync($"/v1/agent/credentials?since={cursor}&wait=30");
        await WaitForParkedAsync(_app, 1);
        using var admin = _app.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/keys/{id}/revoke", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await poll.WaitAsync(TimeSpan.FromSeconds(20))).StatusCode);

        var items = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit?action=request.denied")))["items"]!.AsArray();
        var denied = Assert.Single(items, i => i!["actor"]!["keyId"]?.GetValue<string>() == id)!;
        Assert.Equal(AuditOutcomes.Denied, denied["outcome"]!.GetValue<string>());
        Assert.Equal("unauthenticated:401", denied["reason"]!.GetValue<string>());
        Assert.Equal("GET /v1/agent/credentials", denied["target"]!.GetValue<string>());
    }

    internal static async Task<string> CursorAsync(HttpClient agent)
    {
        using var first = await agent.GetAsync("/v1/agent/credentials");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        return (await BrokerApp.JsonAsync(first))["cursor"]!.GetValue<string>();
    }

    /// <summary>Waits until <paramref name="count"/> long-polls hold their slot, i.e. are inside their wait.</summary>
    internal static async Task WaitForParkedAsync(BrokerApp app, int count)
    {
        var limiter = app.Services.GetRequiredService<LongPollLimiter>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (limiter.Waiting < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{limiter.Waiting} of {count} long-polls parked");
            await Task.Delay(5);
        }
    }

    private async Task AssertSameAsUnknownKeyAsync(HttpResponseMessage response, string body)
    {
        using var unknown = _app.ClientWith("brk_unknown-key-value-aaaaaaaaaaaaaaaa");
        using var reference = await unknown.GetAsync("/v1/agent/credentials");
        Assert.Equal(HttpStatusCode.Unauthorized, reference.StatusCode);
        Assert.Equal(await reference.Content.ReadAsStringAsync(), body);
        Assert.Equal(Describe(reference), Describe(response));
    }

    private static string Describe(HttpResponseMessage response) =>
        string.Join("|", response.Headers.Where(h => h.Key != "Date").OrderBy(h => h.Key).Select(h => h.Key + "=" + string.Join(",", h.Value)))
        + string.Join("|", response.Content.Headers.OrderBy(h => h.Key).Select(h => h.Key + "=" + string.Join(",", h.Value)));
}

/// <summary>Expiry that passes while a request waits: the wait ends at the expiry, with 401.</summary>
public sealed class HeldRequestExpiryTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
    private readonly BrokerApp _app;

    public HeldRequestExpiryTests() => _app = new BrokerApp(_time);

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task LongPoll_WhoseKeyExpiresDuringTheWait_Answers401_NotAValueWrittenAfterTheExpiry()
    {
        await _app.PutAsync("openai_key", "sk-before-expiry");
        var (_, key) = await _app.CreateKeyAsync(new { name = "expiring", role = "agent", credentials = new[] { "openai_*" }, expiresAt = _time.GetUtcNow().AddSeconds(20) });
        using var agent = _app.ClientWith(key);
        var cursor = await HeldRequestTests.CursorAsync(agent);
        var poll = agent.GetAsync($"/v1/agent/credentials?since={cursor}&wait=60");
        await HeldRequestTests.WaitForParkedAsync(_app, 1);

        _time.Advance(TimeSpan.FromSeconds(21));
        await _app.PutAsync("openai_key", "sk-after-expiry");
        using var response = await poll.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("sk-after-expiry", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LongPoll_WhoseKeyExpiresDuringTheWait_EndsAtTheExpiry_With401()
    {
        await _app.PutAsync("openai_key", "sk-quiet-value");
        var (_, key) = await _app.CreateKeyAsync(new { name = "expiring", role = "agent", credentials = new[] { "openai_*" }, expiresAt = _time.GetUtcNow().AddSeconds(20) });
        using var agent = _app.ClientWith(key);
        var cursor = await HeldRequestTests.CursorAsync(agent);
        var poll = agent.GetAsync($"/v1/agent/credentials?since={cursor}&wait=60");
        await HeldRequestTests.WaitForParkedAsync(_app, 1);

        // Past the expiry but well before the 60 s wait: no change, no revoke.
        _time.Advance(TimeSpan.FromSeconds(21));
        using var response = await poll.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task LongPoll_WhoseKeyOutlivesTheWait_TimesOutWith304()
    {
        var (_, key) = await _app.CreateKeyAsync(new { name = "lasting", role = "agent", credentials = new[] { "*" }, expiresAt = _time.GetUtcNow().AddHours(1) });
        using var agent = _app.ClientWith(key);
        var cursor = await HeldRequestTests.CursorAsync(agent);
        var poll = agent.GetAsync($"/v1/agent/credentials?since={cursor}&wait=30");
        await HeldRequestTests.WaitForParkedAsync(_app, 1);
        _time.Advance(TimeSpan.FromSeconds(31));
        using var response = await poll.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }
}
