using System.ClientModel;
using Anthropic;
using Broker.Client.Tests;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Broker.Client.AI.Tests;

public sealed class ApiKeyCredentialTests
{
    private const int Rotations = 100;
    private const int Workers = 4;
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task OpenAIChatClient_FollowsHundredRotationsUnderSteadyLoad_WithNoFailedCall()
    {
        await using var broker = await RealBroker.StartNewAsync();
        await using var model = await FakeModelApi.StartAsync();
        var keys = new List<string> { AITestUtil.NewSecret("sk-test") };
        model.Allow(keys[0]);
        await broker.SetCredentialAsync("openai_key", keys[0]);
        await using var client = await AITestUtil.StartClientAsync(broker);

        // Built once, as a long-lived agent does; only the credential changes under it.
        var openai = new OpenAIClient(client.GetApiKeyCredential("openai_key"), new OpenAIClientOptions { Endpoint = model.OpenAIEndpoint });
        using var chat = openai.GetChatClient("gpt-test").AsIChatClient();

        var (calls, failures, stop, load) = StartLoad(() => chat.GetResponseAsync("ping"));
        await RotateAsync(broker, model, keys, "openai_key");
        stop.Cancel();
        await load;

        Assert.True(failures.IsEmpty, $"{failures.Count} failed calls, first: {failures.FirstOrDefault()?.Message}");
        Assert.Equal(0, model.Rejected);
        Assert.True(calls.Value > Rotations, $"only {calls.Value} calls");

        // The fake really refuses revoked keys: a client that kept the first key fails.
        using var stale = new OpenAIClient(new ApiKeyCredential(keys[0]), new OpenAIClientOptions { Endpoint = model.OpenAIEndpoint }).GetChatClient("gpt-test").AsIChatClient();
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => stale.GetResponseAsync("ping"));
        Assert.Equal(401, refused.Status);
    }

    /// <summary>
    /// The Anthropic client takes its API key as a fixed string (its <c>Credentials</c> option is OAuth, not an API key), so
    /// it cannot follow a rotation by itself. The pattern: give it an HttpClient whose <see cref="BrokerCredentialHandler"/>
    /// sets <c>x-api-key</c> from the cache on every request.
    /// </summary>
    [Fact]
    public async Task AnthropicChatClient_WithCredentialHandler_FollowsRotationsUnderSteadyLoad_WithNoFailedCall()
    {
        await using var broker = await RealBroker.StartNewAsync();
        await using var model = await FakeModelApi.StartAsync();
        var keys = new List<string> { AITestUtil.NewSecret("sk-ant-test") };
        model.Allow(keys[0]);
        await broker.SetCredentialAsync("anthropic_key", keys[0]);
        await using var client = await AITestUtil.StartClientAsync(broker);

        var handler = new BrokerCredentialHandler(client, "anthropic_key", new BrokerCredentialHandlerOptions { HeaderName = "x-api-key", Format = "{0}", AllowedHosts = { model.BaseAddress.Authority } })
        {
            InnerHandler = new SocketsHttpHandler(),
        };
        using var anthropic = new AnthropicClient
        {
            ApiKey = "set-per-request-by-the-broker-handler",
            BaseUrl = model.BaseAddress.ToString().TrimEnd('/'),
            HttpClient = new HttpClient(handler),
            MaxRetries = 0,
        };
        using var chat = anthropic.AsIChatClient("claude-test", 64);
        Assert.Equal("ok", (await chat.GetResponseAsync("ping")).Text);

        var (calls, failures, stop, load) = StartLoad(() => chat.GetResponseAsync("ping"));
        await RotateAsync(broker, model, keys, "anthropic_key", rotations: 20);
        stop.Cancel();
        await load;

        Assert.True(failures.IsEmpty, $"{failures.Count} failed calls, first: {failures.FirstOrDefault()?.Message}");
        Assert.Equal(0, model.Rejected);
        Assert.True(calls.Value > 20, $"only {calls.Value} calls");
    }

    [Fact]
    public async Task GetApiKeyCredential_SameClientAndName_ReturnsOneInstance_AndUnknownNameThrows()
    {
        await using var broker = await RealBroker.StartNewAsync();
        await broker.SetCredentialAsync("openai_key", AITestUtil.NewSecret("sk-test"));
        await using var client = await AITestUtil.StartClientAsync(broker);

        Assert.Same(client.GetApiKeyCredential("openai_key"), client.GetApiKeyCredential("openai_key"));
        var missing = Assert.Throws<CredentialNotFoundException>(() => client.GetApiKeyCredential("nope"));
        Assert.Equal("nope", missing.Name);

        // A credential that appears later is served then (a miss is not remembered).
        var value = AITestUtil.NewSecret("late");
        await broker.SetCredentialAsync("nope", value);
        await AITestUtil.WaitForValueAsync(client, "nope", value);
        client.GetApiKeyCredential("nope").Deconstruct(out var key);
        Assert.Equal(value, key);
        Assert.DoesNotContain(value, client.GetApiKeyCredential("nope").ToString() ?? string.Empty, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each rotation as an operator does it: the provider accepts the new key, the broker gets it (PUT), the agent is
    /// seen using it, and keys replaced more than <see cref="Grace"/> ago are revoked at the provider (a request that
    /// read the key just before a rotation may still be on its way; providers keep an old key working that long).
    /// </summary>
    private static async Task RotateAsync(RealBroker broker, FakeModelApi model, List<string> keys, string name, int rotations = Rotations)
    {
        var replaced = new Queue<(string Key, DateTimeOffset At)>();
        for (var i = 1; i <= rotations; i++)
        {
            var next = AITestUtil.NewSecret("sk-test");
            model.Allow(next);
            await broker.SetCredentialAsync(name, next);
            await TestUtil.WaitUntilAsync(() => model.UsesOf(next) > 0, $"rotation {i} to be used");
            replaced.Enqueue((keys[^1], DateTimeOffset.UtcNow));
            keys.Add(next);
            while (replaced.TryPeek(out var old) && DateTimeOffset.UtcNow - old.At > Grace)
            {
                model.Revoke(replaced.Dequeue().Key);
            }
        }
    }

    private static (StrongBox<int> Calls, System.Collections.Concurrent.ConcurrentQueue<Exception> Failures, CancellationTokenSource Stop, Task Load) StartLoad(Func<Task> call)
    {
        var calls = new StrongBox<int>();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var stop = new CancellationTokenSource();
        var load = Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await call();
                    Interlocked.Increment(ref calls.Value);
                }
                catch (Exception ex)
                {
                    failures.Enqueue(ex);
                }
            }
        })));
        return (calls, failures, stop, load);
    }

    private sealed class StrongBox<T>
    {
        public T Value = default!;
    }
}
