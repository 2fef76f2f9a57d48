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

/// <summary>The inbound-key authentication handler and BrokerAWSCredentials, against the real server and the fake.</summary>
public abstract class AspNetCoreAndAwsTests : IAsyncLifetime
{
    private ITestBroker _broker = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    protected abstract Task<ITestBroker> StartBrokerAsync();

    public async Task InitializeAsync()
    {
        _broker = await StartBrokerAsync();
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
        Assert.Equal($"caller-1|{_broker.KeyIdOf(key)}|default", await ok.Content.ReadAsStringAsync());
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
        var key = reason == "rate_limited"
            ? await _broker.CreateInboundKeyAsync("caller-3", "support-agent", rateLimitPerMinute: 1)
            : await _broker.CreateInboundKeyAsync("caller-3", "support-agent", quotaPerDay: 1);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(key)).StatusCode);

        var response = await CallAsync(key);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }

    [Fact]
    public async Task BrokerDown_Gets503_NeverAuthenticated()
    {
        var key = await _broker.CreateInboundKeyAsync("caller-4", "support-agent");
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(key)).StatusCode);

        await _broker.StopAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await CallAsync(key)).StatusCode);
    }

    [Fact]
    public async Task BrokerAWSCredentials_RenewsInsideThePreExpiryWindow()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _broker.StsClock = clock;
        await _broker.SetAwsCredentialAsync("aws_main");
        await using var client = new BrokerClient(_broker.Endpoint, _broker.AgentKey);
        using var credentials = new BrokerAWSCredentials(client, new AwsCredentialsRequest { Credential = "aws_main", Task = "report", Duration = TimeSpan.FromHours(1) }, null, clock);

        var first = await credentials.GetCredentialsAsync();
        Assert.Equal(1, _broker.StsRequests);
        Assert.Equal(TimeSpan.FromMinutes(5), credentials.PreExpiryWindow);

        clock.Advance(TimeSpan.FromMinutes(50));
        Assert.Equal(first.AccessKey, (await credentials.GetCredentialsAsync()).AccessKey);
        Assert.Equal(1, _broker.StsRequests);

        clock.Advance(TimeSpan.FromMinutes(6)); // 4 minutes left: inside the window
        await TestUtil.WaitUntilAsync(() => credentials.GetCredentials().AccessKey != first.AccessKey, "the renewed session to be served");
        Assert.Equal(2, _broker.StsRequests);
        Assert.DoesNotContain(first.SecretKey, client.Redactor.Redact($"leak {first.SecretKey}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokerAWSCredentials_AreUsableAsAwsCredentials()
    {
        await _broker.SetAwsCredentialAsync("aws_main");
        await using var client = new BrokerClient(_broker.Endpoint, _broker.AgentKey);
        AWSCredentials credentials = new BrokerAWSCredentials(client, new AwsCredentialsRequest { Credential = "aws_main", Task = "report" });
        var immutable = credentials.GetCredentials();
        Assert.StartsWith("ASIAFAKE", immutable.AccessKey, StringComparison.Ordinal);
        Assert.True(immutable.UseToken);
    }

    public sealed class Real : AspNetCoreAndAwsTests
    {
        protected override async Task<ITestBroker> StartBrokerAsync() => await RealBroker.StartNewAsync();
    }

    /// <summary>Against the fake, plus a verify endpoint that answers 503 while the broker is up, which the real server does not do on demand.</summary>
    public sealed class Fake : AspNetCoreAndAwsTests
    {
        protected override async Task<ITestBroker> StartBrokerAsync() => await FakeBroker.StartNewAsync();

        [Fact]
        public async Task VerifyUnavailable_Gets503_NeverAuthenticated()
        {
            var broker = (FakeBroker)_broker;
            var key = await broker.CreateInboundKeyAsync("caller-5", "support-agent");
            broker.VerifyUnavailable = true;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await CallAsync(key)).StatusCode);
        }
    }
}
