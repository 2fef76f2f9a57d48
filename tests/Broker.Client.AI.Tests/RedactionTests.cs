using System.Diagnostics.Metrics;
using System.Text.Json;
using Broker.Client.Tests;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Client.AI.Tests;

public sealed class RedactionTests
{
    private const string OpenAIKey = "sk-live-0123456789abcdefghij";
    private const string DbPassword = "hunter2-correct-horse-battery";

    [Fact]
    public async Task Messages_AndToolResults_GoingToTheModel_AreRedacted_CallerMessagesUntouched()
    {
        var model = new RecordingChatClient();
        using var chat = Pipeline(model);
        var user = new ChatMessage(ChatRole.User, $"my key is {OpenAIKey}");
        var toolResult = new ChatMessage(ChatRole.Tool, [new FunctionResultContent("call-1", new { connection = $"Server=db;Password={DbPassword}", rows = 3 })]);
        var toolText = new ChatMessage(ChatRole.Tool, [new FunctionResultContent("call-2", $"token {OpenAIKey}")]);

        await chat.GetResponseAsync([user, toolResult, toolText]);

        var sent = JsonSerializer.Serialize(model.Received, AIJsonUtilities.DefaultOptions);
        Assert.DoesNotContain(OpenAIKey, sent, StringComparison.Ordinal);
        Assert.DoesNotContain(DbPassword, sent, StringComparison.Ordinal);
        Assert.Equal("my key is [REDACTED:openai_key]", model.Received[0].Text);
        Assert.Contains("Password=[REDACTED:db_password]", sent, StringComparison.Ordinal);
        Assert.Matches("\"rows\":\\s*3", sent);
        Assert.Equal("token [REDACTED:openai_key]", ((FunctionResultContent)model.Received[2].Contents[0]).Result);

        // The agent's own history keeps what it had.
        Assert.Equal($"my key is {OpenAIKey}", user.Text);
    }

    [Fact]
    public async Task ModelAnswer_IsRedacted()
    {
        var model = new RecordingChatClient { Answer = $"Sure, use {DbPassword} to log in" };
        using var chat = Pipeline(model);

        var response = await chat.GetResponseAsync("hi");

        Assert.Equal("Sure, use [REDACTED:db_password] to log in", response.Text);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task Streaming_ValueSplitAcrossUpdates_IsRedacted_AndTheRestArrivesWhole(int pieceLength)
    {
        var text = $"before {OpenAIKey} middle {DbPassword}{OpenAIKey} after the end";
        var model = new RecordingChatClient { Pieces = Split(text, pieceLength) };
        using var chat = Pipeline(model);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync("hi"))
        {
            updates.Add(update);
        }

        foreach (var update in updates)
        {
            Assert.DoesNotContain(OpenAIKey[..8], update.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(DbPassword[..8], update.Text, StringComparison.Ordinal);
        }

        Assert.Equal("before [REDACTED:openai_key] middle [REDACTED:db_password][REDACTED:openai_key] after the end", string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates, u => Assert.Equal("r1", u.ResponseId));
    }

    [Fact]
    public async Task Streaming_HoldsBackNoMoreThanTheLongestValueLessOne()
    {
        var text = new string('x', 200);
        var model = new RecordingChatClient { Pieces = Split(text, 10) };
        using var chat = Pipeline(model);

        var emittedBeforeEnd = 0;
        await foreach (var update in chat.GetStreamingResponseAsync("hi"))
        {
            if (update.Text.Length > 0 && emittedBeforeEnd + update.Text.Length < text.Length)
            {
                emittedBeforeEnd += update.Text.Length;
            }
        }

        Assert.True(emittedBeforeEnd >= text.Length - (DbPassword.Length - 1) - 10, $"emitted {emittedBeforeEnd} before the end");
    }

    [Fact]
    public async Task Redactions_AreCounted_WithDirection_NeverValues()
    {
        var measurements = new List<(long Value, string Direction)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BrokerAITelemetry.Name && instrument.Name == BrokerAITelemetry.RedactionsCounter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var direction = string.Empty;
            foreach (var tag in tags)
            {
                Assert.DoesNotContain(OpenAIKey, tag.Value?.ToString() ?? string.Empty, StringComparison.Ordinal);
                if (tag.Key == "direction")
                {
                    direction = (string)tag.Value!;
                }
            }

            lock (measurements)
            {
                measurements.Add((value, direction));
            }
        });
        listener.Start();

        // A unique value so that other tests running at the same time do not add to these counts.
        var unique = "uniq-" + Guid.NewGuid().ToString("N");
        var model = new RecordingChatClient { Answer = $"{unique} and {unique}" };
        using var chat = new ChatClientBuilder(model).UseBrokerRedaction(new TestBrokerClient().With("unique", unique)).Build();
        await chat.GetResponseAsync([new ChatMessage(ChatRole.User, $"{unique}"), new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c", $"{unique}{unique}{unique}")])]);
        listener.Dispose();

        lock (measurements)
        {
            Assert.Contains((1L, "to_model"), measurements);
            Assert.Contains((3L, "tool_result"), measurements);
            Assert.Contains((2L, "from_model"), measurements);
        }
    }

    [Fact]
    public void UseBrokerRedaction_WithoutAClient_TakesTheOneFromServices()
    {
        var client = new TestBrokerClient().With("openai_key", OpenAIKey);
        var services = new ServiceCollection().AddSingleton<BrokerClient>(client).BuildServiceProvider();
        using var chat = new ChatClientBuilder(new RecordingChatClient()).UseBrokerRedaction().Build(services);
        Assert.NotNull(chat.GetService<BrokerRedactingChatClient>());

        using var empty = new ServiceCollection().BuildServiceProvider();
        Assert.Throws<InvalidOperationException>(() => new ChatClientBuilder(new RecordingChatClient()).UseBrokerRedaction().Build(empty));
    }

    [Fact]
    public async Task RealBroker_RotatedOutAndPerUserValues_AreRedacted()
    {
        await using var broker = await RealBroker.StartNewAsync();
        var first = AITestUtil.NewSecret("first");
        var second = AITestUtil.NewSecret("second");
        var alice = AITestUtil.NewSecret("alice");
        await broker.SetCredentialAsync("openai_key", first);
        await broker.SetCredentialAsync("github_token", alice, subject: "alice");
        await using var client = await AITestUtil.StartClientAsync(broker);
        await broker.SetCredentialAsync("openai_key", second);
        await AITestUtil.WaitForValueAsync(client, "openai_key", second);
        _ = await client.GetCredentialForSubjectAsync("github_token", "alice");

        var model = new RecordingChatClient { Answer = $"{first} {second} {alice}" };
        using var chat = new ChatClientBuilder(model).UseBrokerRedaction(client).Build();
        var response = await chat.GetResponseAsync($"{first} {second} {alice}");

        Assert.Equal("[REDACTED:openai_key] [REDACTED:openai_key] [REDACTED:github_token]", model.Received[0].Text);
        Assert.Equal("[REDACTED:openai_key] [REDACTED:openai_key] [REDACTED:github_token]", response.Text);
    }

    private static IChatClient Pipeline(IChatClient model)
        => new ChatClientBuilder(model).UseBrokerRedaction(new TestBrokerClient().With("openai_key", OpenAIKey).With("db_password", DbPassword)).Build();

    private static string[] Split(string text, int length)
        => Enumerable.Range(0, (text.Length + length - 1) / length).Select(i => text.Substring(i * length, Math.Min(length, text.Length - (i * length)))).ToArray();
}
