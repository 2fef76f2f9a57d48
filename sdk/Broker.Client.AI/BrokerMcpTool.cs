using Microsoft.Extensions.AI;
using ModelContextProtocol.Client;

namespace Broker.Client.AI;

/// <summary>
/// One MCP tool whose calls go through <see cref="BrokerMcpTools"/>: credentials injected into the transport before the
/// call, scrubbed from the result after it. Name, description and schema are the server's.
/// </summary>
public sealed class BrokerMcpTool : DelegatingAIFunction
{
    private readonly BrokerMcpTools _owner;

    internal BrokerMcpTool(McpClientTool tool, BrokerMcpTools owner)
        : base(tool)
    {
        _owner = owner;
    }

    /// <summary>The MCP tool as the server listed it.</summary>
    public McpClientTool McpTool => (McpClientTool)InnerFunction;

    /// <summary>Calls the tool with the credentials it needs now; the result (the MCP <c>CallToolResult</c> as JSON) is scrubbed.</summary>
    /// <param name="arguments">The model's arguments, and the context the user resolver reads.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The scrubbed result.</returns>
    /// <exception cref="InvalidOperationException">A per-user credential is needed and no user was resolved.</exception>
    /// <exception cref="CredentialNotFoundException">A credential is missing (from the cache, or for the user).</exception>
    /// <exception cref="BrokerException">The broker refused or could not be reached for a per-user value.</exception>
    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        => await _owner.CallAsync(Name, arguments, cancellationToken).ConfigureAwait(false);
}
