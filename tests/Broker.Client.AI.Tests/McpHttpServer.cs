using System.Collections.Concurrent;
using System.ComponentModel;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Server;

namespace Broker.Client.AI.Tests;

/// <summary>
/// A remote MCP server (ModelContextProtocol.AspNetCore, Streamable HTTP, stateless) on Kestrel: every request must
/// carry <c>Authorization: Bearer &lt;a key it accepts now&gt;</c> (else 401), and its <c>whoami</c> tool echoes the
/// headers it got, as a careless tool would.
/// </summary>
public sealed class McpHttpServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, byte> _valid = new(StringComparer.Ordinal);
    private WebApplication _app = null!;
    private int _rejected;

    public Uri Endpoint { get; private set; } = null!;

    public int Rejected => Volatile.Read(ref _rejected);

    /// <summary>The <c>X-User-Token</c> of every tool call the server ran.</summary>
    public ConcurrentQueue<string> UserTokensSeen { get; } = new();

    public static async Task<McpHttpServer> StartAsync()
    {
        var server = new McpHttpServer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton(server);
        builder.Services.AddMcpServer().WithHttpTransport(o => o.Stateless = true).WithTools<HeaderTools>();
        server._app = builder.Build();
        server._app.Use(async (http, next) =>
        {
            var auth = http.Request.Headers.Authorization.ToString();
            if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !server._valid.ContainsKey(auth[7..]))
            {
                Interlocked.Increment(ref server._rejected);
                http.Response.StatusCode = 401;
                return;
            }

            await next(http);
        });
        server._app.MapMcp("/mcp");
        await server._app.StartAsync();
        server.Endpoint = new Uri(server._app.Urls.First() + "/mcp");
        return server;
    }

    public void Allow(string key) => _valid[key] = 0;

    public void Revoke(string key) => _valid.TryRemove(key, out _);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [McpServerToolType]
    public sealed class HeaderTools
    {
        [McpServerTool(Name = "whoami"), Description("Says who the server thinks is calling.")]
        public static string WhoAmI(IHttpContextAccessor accessor, McpHttpServer server)
        {
            var headers = accessor.HttpContext!.Request.Headers;
            var user = headers["X-User-Token"].ToString();
            server.UserTokensSeen.Enqueue(user);
            return $"authorization={headers.Authorization} user={user}";
        }
    }
}
