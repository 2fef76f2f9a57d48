using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Broker.Client.AI;

/// <summary>
/// The tools of one MCP server, as <see cref="AIFunction"/>s for an <see cref="IChatClient"/>, with the credentials they
/// need injected into the transport at call time (HTTP headers of a remote server, environment variables of a stdio
/// server process) and scrubbed from their results. The model sees tool names and credential names, never a value.
/// </summary>
/// <remarks>
/// Before each call (the pre-hook): the user is resolved (<see cref="BrokerMcpToolOptions.UserResolver"/>), shared values
/// are read from the cache and per-user values from the broker, which audits each such read (<c>credential.read</c>
/// naming the user); shared values were audited when the cache loaded them. After it (the post-hook): every value the
/// broker client holds or has held, the call's own included, is replaced in the result with <c>[REDACTED:NAME]</c>.
/// Arguments the model writes are passed as they are: a <c>$&lt;credentials.NAME&gt;</c> in them is never resolved.
/// </remarks>
public sealed class BrokerMcpTools : IAsyncDisposable
{
    private readonly BrokerClient _client;
    private readonly BrokerMcpToolOptions _options;
    private readonly CredentialInjector _injector;
    private readonly McpClient? _httpClient;
    private readonly HttpClient? _http;
    private readonly StdioServerPool? _pool;

    private BrokerMcpTools(BrokerClient client, BrokerMcpToolOptions options, CredentialInjector injector, McpClient? httpClient, HttpClient? http, StdioServerPool? pool)
    {
        _client = client;
        _options = options;
        _injector = injector;
        _httpClient = httpClient;
        _http = http;
        _pool = pool;
    }

    /// <summary>The server's tools, each injecting its credentials at call time.</summary>
    public IReadOnlyList<AIFunction> Tools { get; private set; } = [];

    /// <summary>The credential names the tools use: what may be said about them, never their values.</summary>
    public IReadOnlyList<string> CredentialNames => _injector.Names;

    /// <summary>Stdio only: how many server processes run now (0 for HTTP).</summary>
    public int ProcessCount => _pool?.Count ?? 0;

    /// <summary>
    /// Connects to a remote MCP server over HTTP (Streamable HTTP, or SSE as <paramref name="transport"/> says) and lists
    /// its tools. <see cref="BrokerMcpToolOptions.Headers"/> are set on every request at send time.
    /// </summary>
    /// <param name="client">A started broker client.</param>
    /// <param name="transport">The server's endpoint and transport settings; its <c>AdditionalHeaders</c> must hold no secret.</param>
    /// <param name="options">Which credentials go where.</param>
    /// <param name="loggerFactory">Where the MCP client logs; null: nowhere.</param>
    /// <param name="cancellationToken">Cancels the connection.</param>
    /// <returns>The tools.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="CredentialNotFoundException">A shared credential the headers name is not in the cache.</exception>
    /// <exception cref="McpException">The server refused or failed the connection.</exception>
    /// <exception cref="HttpRequestException">The server could not be reached.</exception>
    public static async Task<BrokerMcpTools> ConnectHttpAsync(
        BrokerClient client, HttpClientTransportOptions transport, BrokerMcpToolOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        var injector = new CredentialInjector(client, options);
        foreach (var name in injector.Names.Where(n => !options.PerUserCredentials.Contains(n)))
        {
            _ = client.GetCredential(name); // fail now, by name, rather than on the first call
        }

        var http = new HttpClient(new HeaderInjectingHandler(injector) { InnerHandler = new SocketsHttpHandler() });
        try
        {
            var mcp = await McpClient.CreateAsync(new HttpClientTransport(transport, http, loggerFactory, ownsHttpClient: false), loggerFactory: loggerFactory, cancellationToken: cancellationToken).ConfigureAwait(false);
            var tools = new BrokerMcpTools(client, options, injector, mcp, http, null);
            await tools.ListAsync(mcp, cancellationToken).ConfigureAwait(false);
            return tools;
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts a stdio MCP server process with <see cref="BrokerMcpToolOptions.EnvironmentVariables"/> resolved (per-user
    /// ones left out: that process serves calls without a user) and lists its tools. Each call runs in a process whose
    /// environment holds the values it needs now (see <see cref="BrokerMcpToolOptions.MaxProcesses"/>).
    /// </summary>
    /// <param name="client">A started broker client.</param>
    /// <param name="transport">The command, arguments and base environment; copied per process.</param>
    /// <param name="options">Which credentials go where.</param>
    /// <param name="loggerFactory">Where the MCP client logs; null: nowhere.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The tools.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="BrokerMcpToolOptions.MaxProcesses"/> is less than 1.</exception>
    /// <exception cref="CredentialNotFoundException">A shared credential the environment names is not in the cache.</exception>
    /// <exception cref="McpException">The server failed to start or to answer.</exception>
    public static async Task<BrokerMcpTools> StartStdioAsync(
        BrokerClient client, StdioClientTransportOptions transport, BrokerMcpToolOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxProcesses, 1, nameof(options));
        var injector = new CredentialInjector(client, options);
        var pool = new StdioServerPool(transport, options.MaxProcesses, loggerFactory);
        var tools = new BrokerMcpTools(client, options, injector, null, null, pool);
        try
        {
            var shared = await injector.ResolveAsync(null, userRequired: false, cancellationToken).ConfigureAwait(false);
            await pool.UseAsync(shared.Environment, mcp => tools.ListAsync(mcp, cancellationToken), cancellationToken).ConfigureAwait(false);
            return tools;
        }
        catch
        {
            await pool.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the server processes or closes the HTTP session.</summary>
    /// <returns>A task that completes when they are.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_httpClient is not null)
        {
            await _httpClient.DisposeAsync().ConfigureAwait(false);
        }

        _http?.Dispose();
        if (_pool is not null)
        {
            await _pool.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal async Task<JsonElement> CallAsync(string toolName, AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        using var activity = BrokerAITelemetry.ActivitySource.StartActivity("broker.mcp.tool_call");
        activity?.SetTag("gen_ai.tool.name", toolName);
        activity?.SetTag("broker.credentials", string.Join(',', _injector.Names));
        var user = _options.UserResolver is { } resolve ? await resolve(arguments, cancellationToken).ConfigureAwait(false) : null;
        var resolved = await _injector.ResolveAsync(user, userRequired: true, cancellationToken).ConfigureAwait(false);
        var args = arguments.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

        CallToolResult result;
        if (_httpClient is not null)
        {
            using (HeaderInjectingHandler.Use(resolved.Headers))
            {
                result = await _httpClient.CallToolAsync(toolName, args, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            result = await _pool!.UseAsync(resolved.Environment, mcp => mcp.CallToolAsync(toolName, args, cancellationToken: cancellationToken).AsTask(), cancellationToken).ConfigureAwait(false);
        }

        return Scrub(result);
    }

    private JsonElement Scrub(CallToolResult result)
    {
        var node = JsonSerializer.SerializeToNode(result, McpJsonUtilities.DefaultOptions);
        if (node is null)
        {
            return default;
        }

        JsonRedaction.RedactNode(_client.Redactor, node, "tool_result");
        return JsonSerializer.SerializeToElement(node, McpJsonUtilities.DefaultOptions);
    }

    private async Task<bool> ListAsync(McpClient mcp, CancellationToken cancellationToken)
    {
        var listed = await mcp.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        Tools = listed.Select(t => (AIFunction)new BrokerMcpTool(t, this)).ToArray();
        return true;
    }
}
