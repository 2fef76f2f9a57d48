using System.Net;
using Amazon.Runtime;
using Broker.Client.AspNetCore;
using Broker.Client.Aws;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Client.Tests;

public sealed class AspNetCoreAndAwsTests : IAsyncLifetime
{
    private FakeBroker _broker = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _broker = await FakeBroker.StartNewAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton(new BrokerClient(_broker.Endpoint, _broker.AgentKey, new BrokerClientOptions { RequestTimeout = TimeSpan.FromSeconds(5) }));
        builder.Services.AddAuthentication(BrokerInboundKeyDefaults.AuthenticationScheme)
            .AddBrokerInboundKeys(options => options.Agent = "support-agent");
        builder.Services.AddAuthorization();
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapGet("/whoami", (HttpContext c) => $"{c.User.FindFirst("sub")?.Value}|{c.User.FindFirst("broker:key_id")?.Value}|{c.User.FindFirst("broker:tenant")?.Value}").RequireAuthorization();
        await _app.StartAsync();
        _http = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _broker.DisposeAsync();
    }

    private Task<HttpResponseMessage> CallAsync(string? key, bool apiKeyHeader = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation(apiKeyHeader ? "X-Api-Key" : "Authorization", apiKeyHeader ? key : "Bearer " + key);
        }

        return _http.SendAsync(request);
    }

    [Fact]
    public async Task ValidKey_SignsIn_AndRevokeRejectsTheVeryNextRequest()
    {
        var key = await _broker.CreateInboundKeyAsync("caller-1", "support-agent");

        var ok = await CallAsync(key);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("caller-1|key_caller-1|default", await ok.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(key, apiKeyHeader: true)).StatusCode);

        await _broker.RevokeInboundKeyAsync(key);
        var rejected = await CallAsync(key);
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        Assert.Equal("Bearer", rejected.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task MissingUnknownOrForbiddenKey_Gets401()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync("brk_unknown_key")).StatusCode);
        var other = await _broker.CreateInboundKeyAsync("caller-2", "another-agent");
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(other)).StatusCode);
    }

    [Theory]
    [InlineData("rate_limited")]
    [InlineData("quota_exceeded")]
    public async Task RateLimitedOrOverQuota_Gets429WithRetryAfter(string reason)
    {
        var key = await _broker.CreateInboundKeyAsync("caller-3", "support-agent");
        await _broker.SetInboundStatusAsync(key, reason);

        var response = await CallAsync(key);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }

    [Fact]
    public async Task BrokerDownOrUnavailable_Gets503_NeverAuthenticated()
    {
        var key = await _broker.CreateInboundKeyAsync("caller-4", "support-agent");
        _broker.VerifyUnavailable = true;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await CallAsync(key)).StatusCode);

        _broker.VerifyUnavailable = false;
        await _broker.StopAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await CallAsync(key)).StatusCode);
    }

    [Fact]
    public void PreExpiryWindow_IsFiveMinutes_OrAFifthOfShorterDurations()
    {
        Assert.Equal(TimeSpan.FromMinutes(3), BrokerAWSCredentials.WindowFor(TimeSpan.FromMinutes(15)));
        Assert.Equal(TimeSpan.FromMinutes(5), BrokerAWSCredentials.WindowFor(TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task BrokerAWSCredentials_RenewsInsideThePreExpiryWindow()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _broker.Clock = clock;
        await using var client = new BrokerClient(_broker.Endpoint, _broker.AgentKey);
        using var credentials = new BrokerAWSCredentials(client, new AwsCredentialsRequest { Credential = "aws_main", Task = "report", Duration = TimeSpan.FromHours(1) }, null, clock);

        var first = await credentials.GetCredentialsAsync();
        Assert.Equal(1, Volatile.Read(ref _broker.StsRequests));
        Assert.Equal(TimeSpan.FromMinutes(5), credentials.PreExpiryWindow);

        clock.Advance(TimeSpan.FromMinutes(50));
        Assert.Equal(first.AccessKey, (await credentials.GetCredentialsAsync()).AccessKey);
        Assert.Equal(1, Volatile.Read(ref _broker.StsRequests));

        clock.Advance(TimeSpan.FromMinutes(6)); // 4 minutes left: inside the window
        await TestUtil.WaitUntilAsync(() => credentials.GetCredentials().AccessKey != first.AccessKey, "the renewed session to be served");
        Assert.Equal(2, Volatile.Read(ref _broker.StsRequests));
        Assert.DoesNotContain(first.SecretKey, client.Redactor.Redact($"leak {first.SecretKey}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokerAWSCredentials_AreUsableAsAwsCredentials()
    {
        await using var client = new BrokerClient(_broker.Endpoint, _broker.AgentKey);
        AWSCredentials credentials = new BrokerAWSCredentials(client, new AwsCredentialsRequest { Credential = "aws_main", Task = "report" });
        var immutable = credentials.GetCredentials();
        Assert.StartsWith("ASIAFAKE", immutable.AccessKey, StringComparison.Ordinal);
        Assert.True(immutable.UseToken);
    }
}
