using Broker.Client;
using Broker.Client.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.AI;

/// <summary>Adds Broker's redaction to a chat pipeline, beside Microsoft.Extensions.AI's own <c>Use*</c> middleware.</summary>
public static class BrokerChatClientBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="BrokerRedactingChatClient"/>: every value the broker client holds, or held since it started, is
    /// replaced with <c>[REDACTED:NAME]</c> in what goes to the model (messages, tool results) and in what comes back
    /// (whole or streamed).
    /// </summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="client">The broker client; null: the <see cref="BrokerClient"/> from the builder's services.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="InvalidOperationException">When the pipeline is built: <paramref name="client"/> is null and the services hold no <see cref="BrokerClient"/>.</exception>
    /// <remarks>
    /// Place it so that it wraps the tool-calling middleware's inner client (call it after <c>UseFunctionInvocation()</c>),
    /// so that tool results are redacted on each round trip to the model.
    /// </remarks>
    public static ChatClientBuilder UseBrokerRedaction(this ChatClientBuilder builder, BrokerClient? client = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) => new BrokerRedactingChatClient(
            inner,
            client ?? services.GetService<BrokerClient>() ?? throw new InvalidOperationException("UseBrokerRedaction needs a BrokerClient: pass one, or register it (services.AddBrokerClient).")));
    }
}
