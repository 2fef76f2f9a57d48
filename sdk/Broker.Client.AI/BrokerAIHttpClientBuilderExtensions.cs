using Broker.Client;
using Broker.Client.AI;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>HttpClient integration of Broker.Client.AI: just-in-time tokens for the services tools call.</summary>
public static class BrokerAIHttpClientBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="BrokerTokenHandler"/>: every request carries a token minted for <paramref name="request"/>,
    /// cached and renewed before it expires (one cache for this HttpClient name, kept across handler lifetimes).
    /// Uses the <see cref="BrokerClient"/> registered in DI (<c>AddBrokerClient</c>).
    /// </summary>
    /// <param name="builder">The HttpClient builder.</param>
    /// <param name="request">The audience, task and scopes of each token; copied.</param>
    /// <param name="refreshBefore">How long before expiry to renew; null: a fifth of the lifetime, at most one minute.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IHttpClientBuilder AddBrokerToken(this IHttpClientBuilder builder, TokenRequest request, TimeSpan? refreshBefore = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(request);
        BrokerTokenSource? source = null;
        var gate = new object();
        return builder.AddHttpMessageHandler(services =>
        {
            lock (gate)
            {
                source ??= new BrokerTokenSource(services.GetRequiredService<BrokerClient>(), request, refreshBefore, services.GetService<TimeProvider>());
            }

            return new BrokerTokenHandler(source);
        });
    }
}
