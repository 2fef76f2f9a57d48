using System.Net;
using System.Net.Http.Headers;

namespace Broker.Server.Tests;

public sealed class AgentCredentialsApiTests : IDisposable
{
    private readonly BrokerApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task FullLoad_ReturnsAllowedSharedValuesOnly_WithETag()
    {
        await _app.PutAsync("openai_key", "sk-openai-1");
        await _app.PutAsync("openai_org", "org-1234567");
        await _app.PutAsync("db_pass", "db-secret-1");
        await _app.PutAsync("openai_key", "sk-alice-only", subject: "alice");
        var (_, key) = await _app.CreateKeyAsync(new { name = "a", role = "agent", credentials = new[] { "openai_*" } });
        using var agent = _app.ClientWith(key);
        var response = await agent.GetAsync("/v1/agent/credentials");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(response.Headers.ETag);
        var json = await BrokerApp.JsonAsync(response);
        var names = json["credentials"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).OrderBy(n => n).ToArray();
        Assert.Equal(["openai_key", "openai_org"], names);
        Assert.Equal("sk-openai-1", json["credentials"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "openai_key")!["value"]!.GetValue<string>());
        Assert.Empty(json["removed"]!.AsArray());
        Assert.NotNull(json["cursor"]);
    }

    [Fact]
    public async Task Delta_SinceCursor_ReturnsChangedAndRemoved_And304WhenNothingChanged()
    {
        await _app.PutAsync("k1", "value-one-1");
        await _app.PutAsync("k2", "value-two-1");
        var (_, key) = await _app.CreateKeyAsync(new { name = "a", role = "agent", credentials = new[] { "*" } });
        using var agent = _app.ClientWith(key);
        var first = await agent.GetAsync("/v1/agent/credentials");
        var cursor = (await BrokerApp.JsonAsync(first))["cursor"]!.GetValue<string>();
        var etag = first.Headers.ETag!;

        var empty = await BrokerApp.JsonAsync(await agent.GetAsync($"/v1/agent/credentials?since={cursor}"));
        Assert.Empty(empty["credentials"]!.AsArray());
        Assert.Empty(empty["removed"]!.AsArray());

        var conditional = new HttpRequestMessage(HttpMethod.Get, "/v1/agent/credentials");
        conditional.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await agent.SendAsync(conditional)).StatusCode);

        await _app.PutAsync("k1", "value-one-2");
        using (var admin = _app.Admin())
        {
            await admin.DeleteAsync("/v1/credentials/k2");
        }

        var delta = await BrokerApp.JsonAsync(await agent.GetAsync($"/v1/agent/credentials?since={cursor}"));
        var changed = delta["credentials"]!.AsArray().Single()!;
        Assert.Equal("k1", changed["name"]!.GetValue<string>());
        Assert.Equal(2, changed["version"]!.GetValue<int>());
        Assert.Equal("value-one-2", changed["value"]!.GetValue<string>());
        Assert.Equal(["k2"], delta["removed"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task LongPoll_IsWokenByAChange_AndTimesOutWith304()
    {
        await _app.PutAsync("openai_key", "sk-v1-aaaaaa");
        var (_, key) = await _app.CreateKeyAsync(new { name = "a", role = "agent", credentials = new[] { "openai_*" } });
        using var agent = _app.ClientWith(key);
        var cursor = (await BrokerApp.JsonAsync(await agent.GetAsync("/v1/agent/credentials")))["cursor"]!.GetValue<string>();

        var timedOut = await agent.GetAsync($"/v1/agent/credentials?since={cursor}&wait=1");
        Assert.Equal(HttpStatusCode.NotModified, timedOut.StatusCode);

        var poll = agent.GetAsync($"/v1/agent/credentials?since={cursor}&wait=30");
        await Task.Delay(100);
        await _app.PutAsync("unrelated", "not-for-this-agent"); // a change this agent cannot see does not wake it with data
        await _app.PutAsync("openai_key", "sk-v2-bbbbbb");
        var response = await poll.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await BrokerApp.JsonAsync(response);
        Assert.Equal("sk-v2-bbbbbb", json["credentials"]!.AsArray().Single()!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task Wait_OverSixty_Is400_AndWaitWithoutBaselineIs400()
    {
        var (_, key) = await _app.CreateKeyAsync(new { name = "a", role = "agent", credentials = new[] { "*" } });
        using var agent = _app.ClientWith(key);
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.GetAsync("/v1/agent/credentials?since=0&wait=61")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.GetAsync("/v1/agent/credentials?wait=5")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.GetAsync("/v1/agent/credentials?since=abc")).StatusCode);
    }

    [Fact]
    public async Task LongPolls_AreCappedPerKey()
    {
        using var app = new BrokerApp(settings: new() { ["Broker:MaxLongPollsPerKey"] = "8" });
        var (_, key) = await app.CreateKeyAsync(new { name = "a", role = "agent", credentials = new[] { "*" } });
        using var agent = app.ClientWith(key);
        var cursor = (await BrokerApp.JsonAsync(await agent.GetAsync("/v1/agent/credentials")))["cursor"]!.GetValue<string>();
        using var cts = new CancellationTokenSource();
        var waiting = Enumerable.Range(0, 8).Select(_ => agent.GetAsync($"/v1/agent/credentials?since={cursor}&wait=30", cts.Token)).ToArray();
        var limiter = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Broker.Credentials.LongPollLimiter>(app.Services);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (limiter.Waiting < 8 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(8, limiter.Waiting);
        var refused = await agent.GetAsync($"/v1/agent/credentials?since={cursor}&wait=1");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        await app.PutAsync("wake", "wake-everyone");
        await Task.WhenAll(waiting);
    }

    [Fact]
    public async Task ReadOne_SubjectNeverFallsBack_PatternsEnforced()
    {
        await _app.PutAsync("github_token", "shared-gh-token");
        await _app.PutAsync("github_token", "alice-gh-token", subject: "alice");
        await _app.PutAsync("db_pass", "db-pass-value");
        var (_, key) = await _app.CreateKeyAsync(new { name = "a", role = "agent", credentials = new[] { "github_*" }, subjects = "any" });
        using var agent = _app.ClientWith(key);
        Assert.Equal("shared-gh-token", (await BrokerApp.JsonAsync(await agent.GetAsync("/v1/agent/credentials/github_token")))["value"]!.GetValue<string>());
        Assert.Equal("alice-gh-token", (await BrokerApp.JsonAsync(await agent.GetAsync("/v1/agent/credentials/github_token?subject=alice")))["value"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await agent.GetAsync("/v1/agent/credentials/github_token?subject=bob")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/v1/agent/credentials/db_pass")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await agent.GetAsync("/v1/agent/credentials/github_missing")).StatusCode);
    }
}
