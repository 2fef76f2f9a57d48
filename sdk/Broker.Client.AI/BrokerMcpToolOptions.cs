using Microsoft.Extensions.AI;

namespace Broker.Client.AI;

/// <summary>
/// Which credentials an MCP server's tools need and where they go: header or environment templates holding
/// <c>$&lt;credentials.NAME&gt;</c> placeholders, resolved at call time and never shown to the model.
/// </summary>
public sealed class BrokerMcpToolOptions
{
    /// <summary>HTTP headers sent to a remote MCP server with every request, e.g. <c>["Authorization"] = "Bearer $&lt;credentials.github_token&gt;"</c>.</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Environment variables of a stdio MCP server process, e.g. <c>["GITHUB_TOKEN"] = "$&lt;credentials.github_token&gt;"</c>.</summary>
    public IDictionary<string, string> EnvironmentVariables { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Credential names read for the user of each call (<see cref="UserResolver"/>) rather than the shared value from the
    /// cache. A call that needs one and has no user fails.
    /// </summary>
    public ISet<string> PerUserCredentials { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Finds the user a call acts for (from <see cref="AIFunctionArguments.Context"/> or <see cref="AIFunctionArguments.Services"/>,
    /// or the agent's own ambient state); null: no user. Called once per tool call, before anything is sent.
    /// </summary>
    public Func<AIFunctionArguments, CancellationToken, ValueTask<BrokerToolUser?>>? UserResolver { get; set; }

    /// <summary>
    /// Stdio only: how many server processes may run at once. A process runs with one set of values; a rotation or
    /// another user's values start another, and the least recently used idle one is stopped beyond this. Default 4.
    /// </summary>
    public int MaxProcesses { get; set; } = 4;
}
