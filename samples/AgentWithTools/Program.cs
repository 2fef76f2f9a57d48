using AgentWithTools;
using Broker.Client;
using Broker.Client.AI;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Client;
using OpenAI;

// An agent on Microsoft.Extensions.AI: the model key comes from the broker and follows rotations, every value the
// broker holds is redacted in both directions, and its one MCP tool gets the user's own ticket-system token injected
// into the transport at call time. The model and the MCP server are local stand-ins (LocalServices.cs).
var brokerUrl = new Uri(Environment.GetEnvironmentVariable("BROKER_URL") ?? "http://127.0.0.1:8080");
var brokerKey = Environment.GetEnvironmentVariable("BROKER_KEY") ?? throw new InvalidOperationException("Set BROKER_KEY to the agent key (see README.md).");
var turns = int.TryParse(Environment.GetEnvironmentVariable("TURNS"), out var t) ? t : 30;

await using var local = await LocalServices.StartAsync();
await using var broker = new BrokerClient(brokerUrl, brokerKey);
await broker.StartAsync();
broker.CredentialsChanged += (_, e) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] broker pushed a change: {string.Join(", ", e.Changed)}");

// Built once for the life of the process: the credential under it is updated on every rotation.
var openai = new OpenAIClient(broker.GetApiKeyCredential("openai_key"), new OpenAIClientOptions { Endpoint = local.ModelEndpoint });
using var chat = new ChatClientBuilder(openai.GetChatClient("fake-gpt").AsIChatClient())
    .UseFunctionInvocation()
    .UseBrokerRedaction(broker)
    .Build();

// The tool declares the credential by name; the user's value is read from the broker for each call.
await using var tickets = await BrokerMcpTools.ConnectHttpAsync(
    broker,
    new HttpClientTransportOptions { Endpoint = local.McpEndpoint },
    new BrokerMcpToolOptions
    {
        Headers = { ["X-Tickets-Token"] = "$<credentials.tickets_token>" },
        PerUserCredentials = { "tickets_token" },
        UserResolver = (_, _) => ValueTask.FromResult(CurrentUser.Value is { } user ? new BrokerToolUser(user) : null),
    });

string[] users = ["alice", "bob"];
for (var turn = 0; turn < turns; turn++)
{
    CurrentUser.Value = users[turn % users.Length];
    var response = await chat.GetResponseAsync("What are my open tickets?", new ChatOptions { Tools = [.. tickets.Tools] });
    Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {CurrentUser.Value}: {response.Text}");
    await Task.Delay(TimeSpan.FromSeconds(2));
}

/// <summary>The user the agent is serving now, read by the tool's user resolver.</summary>
internal static partial class Program
{
    public static readonly AsyncLocal<string?> CurrentUser = new();
}
