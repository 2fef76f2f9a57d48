using System.Collections.Concurrent;
using System.Net;
using Broker.Client.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Broker.Client.AI.Tests;

public sealed class TokenHandlerTests
{
    [Fact]
    public async Task AddBrokerToken_MintsOnce_ReusesTheToken_AndRenewsInsideTheWindowBeforeExpiry()
    {
        await using var broker = await RealBroker.StartNewAsync();
        await using var client = await AITestUtil.StartClientAsync(broker);
        await using var receiver = await ReceiverAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var services = new ServiceCollection()
            .AddSingleton<BrokerClient>(client)
            .AddSingleton<TimeProvider>(clock);
        services.AddHttpClient("tool", c => c.BaseAddress = receiver.Address)
            .AddBrokerToken(new TokenRequest { Audience = "https://tools.example", Task = "ticket-42", Scopes = { "tickets:read" }, Ttl = TimeSpan.FromSeconds(60) });
        await using var provider = services.BuildServiceProvider();
        var http = provider.GetRequiredService<IHttpClientFactory>().CreateClient("tool");

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => http.GetAsync("tool")));
        Assert.Single(receiver.Tokens.Distinct());

        // Still outside the window (a fifth of 60 s before expiry): the same token.
        clock.Advance(TimeSpan.FromSeconds(40));
        await http.GetAsync("tool");
        Assert.Single(receiver.Tokens.Distinct());

        // Inside it: a new one, before the first expires.
        clock.Advance(TimeSpan.FromSeconds(9));
        await http.GetAsync("tool");
        var tokens = receiver.Tokens.Distinct().ToList();
        Assert.Equal(2, tokens.Count);

        var jwt = new JsonWebToken(tokens[1]);
        Assert.Equal("https://tools.example", Assert.Single(jwt.Audiences));
        Assert.Equal("ticket-42", jwt.GetClaim("task_id").Value);
        Assert.Equal("tickets:read", jwt.GetClaim("scope").Value);
    }

    [Fact]
    public async Task TokenSource_RefusedMint_IsABrokerException_AndNotCached()
    {
        await using var broker = await RealBroker.StartNewAsync();
        var (_, noTokens) = await broker.CreateKeyAsync(new { name = "no-tokens", role = "agent", credentials = new[] { "*" } });
        await using var client = new BrokerClient(broker.Endpoint, noTokens, TestUtil.FastOptions());
        await client.StartAsync();
        var source = new BrokerTokenSource(client, new TokenRequest { Audience = "https://tools.example", Task = "t" });

        var refused = await Assert.ThrowsAsync<BrokerException>(async () => await source.GetTokenAsync());
        Assert.Equal(403, refused.Status);
        await Assert.ThrowsAsync<BrokerException>(async () => await source.GetTokenAsync());
        Assert.Equal(0, source.MintCount);
    }

    private static async Task<Receiver> ReceiverAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new Receiver(app);
        app.MapGet("/tool", (HttpContext http) =>
        {
            receiver.Tokens.Enqueue(http.Request.Headers.Authorization.ToString()["Bearer ".Length..]);
            return Results.Ok();
        });
        await app.StartAsync();
        receiver.Address = new Uri(app.Urls.First() + "/");
        return receiver;
    }

    private sealed class Receiver(WebApplication app) : IAsyncDisposable
    {
        public ConcurrentQueue<string> Tokens { get; } = new();

        public Uri Address { get; set; } = null!;

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
