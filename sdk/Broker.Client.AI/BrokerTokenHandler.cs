using System.Net.Http.Headers;

namespace Broker.Client.AI;

/// <summary>
/// Sends every request with <c>Authorization: Bearer</c> and a task-scoped just-in-time token from a
/// <see cref="BrokerTokenSource"/> (minted through the broker, cached, renewed before it expires): for the HTTP
/// client a tool uses to reach its service.
/// </summary>
/// <remarks>
/// The token is bound to its audience (<c>aud</c>); .NET drops <c>Authorization</c> when it follows a redirect.
/// </remarks>
public sealed class BrokerTokenHandler : DelegatingHandler
{
    private readonly BrokerTokenSource _source;

    /// <summary>Creates the handler.</summary>
    /// <param name="source">Where tokens come from; share one across handler instances to share its cache.</param>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    public BrokerTokenHandler(BrokerTokenSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
    }

    /// <summary>Sets the header from the source, then sends.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>The response.</returns>
    /// <exception cref="BrokerException">No token could be minted.</exception>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await _source.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
