using System.ComponentModel;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ModelContextProtocol.Server;

namespace AgentWithTools;

/// <summary>
/// The sample's stand-ins on loopback: an OpenAI-compatible model that asks for the <c>list_tickets</c> tool and then
/// repeats what the tool said (so you can see what a model would see), and a remote MCP server whose tool needs the
/// user's <c>X-Tickets-Token</c> and carelessly echoes it.
/// </summary>
public sealed class LocalServices : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LocalServices(WebApplication app, Uri baseAddress)
    {
        _app = app;
        ModelEndpoint = new Uri(baseAddress, "v1/");
        McpEndpoint = new Uri(baseAddress, "mcp");
    }

    public Uri ModelEndpoint { get; }

    public Uri McpEndpoint { get; }

    public static async Task<LocalServices> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddMcpServer().WithHttpTransport(o => o.Stateless = true).WithTools<TicketTools>();
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", (Delegate)FakeModelAsync);
        app.MapMcp("/mcp");
        await app.StartAsync();
        return new LocalServices(app, new Uri(app.Urls.First() + "/"));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static async Task<IResult> FakeModelAsync(HttpContext http)
    {
        var key = http.Request.Headers.Authorization.ToString();
        if (!key.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Results.Unauthorized();
        }

        // Which key the model got, without showing it: the first 8 hex digits of its SHA-256.
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key[7..])))[..8];
        var request = (await JsonNode.ParseAsync(http.Request.Body))!;
        var last = request["messages"]!.AsArray().Last()!;
        JsonObject message = last["role"]!.GetValue<string>() == "tool"
            ? new() { ["role"] = "assistant", ["content"] = $"[model got key {fingerprint}] The tool said: {ToolText(last["content"]!.GetValue<string>())}" }
            : new()
            {
                ["role"] = "assistant",
                ["content"] = null,
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["id"] = "call_" + Guid.NewGuid().ToString("N")[..8],
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = "list_tickets", ["arguments"] = "{}" },
                }),
            };
        var answer = new JsonObject
        {
            ["id"] = "chatcmpl-1",
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = "fake-gpt",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = message.ContainsKey("tool_calls") ? "tool_calls" : "stop" }),
        };
        return Results.Text(answer.ToJsonString(), "application/json");
    }

    // The tool message holds the MCP CallToolResult as JSON: its text blocks are what the tool said.
    private static string ToolText(string content)
        => JsonNode.Parse(content)?["content"] is JsonArray blocks
            ? string.Join(" ", blocks.Select(b => b?["text"]?.GetValue<string>()).Where(x => x is not null))
            : content;

    [McpServerToolType]
    public sealed class TicketTools
    {
        [McpServerTool(Name = "list_tickets"), Description("Lists the calling user's open tickets.")]
        public static string ListTickets(IHttpContextAccessor accessor)
        {
            var token = accessor.HttpContext!.Request.Headers["X-Tickets-Token"].ToString();
            return token.Length == 0
                ? "error: no X-Tickets-Token"
                : $"2 open tickets for the owner of token {token} (fingerprint {Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..8]})";
        }
    }
}
