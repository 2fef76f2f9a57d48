using System.Globalization;

namespace Broker.Client;

/// <summary>Puts the current value of one broker credential into a request header at send time; the value never reaches the caller's code.</summary>
public class BrokerCredentialHandler : DelegatingHandler
{
    private readonly BrokerClient _client;
    private readonly string _credentialName;
    private readonly string _headerName;
    private readonly string _format;

    /// <summary>Creates the handler.</summary>
    /// <param name="client">The client whose cache holds the credential.</param>
    /// <param name="credentialName">The credential's name.</param>
    /// <param name="headerName">The header to set (replacing any value already there).</param>
    /// <param name="format">A composite format with <c>{0}</c> for the value.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A name is empty or <paramref name="format"/> lacks <c>{0}</c>.</exception>
    public BrokerCredentialHandler(BrokerClient client, string credentialName, string headerName = "Authorization", string format = "Bearer {0}")
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(credentialName);
        ArgumentException.ThrowIfNullOrEmpty(headerName);
        ArgumentNullException.ThrowIfNull(format);
        if (!format.Contains("{0}", StringComparison.Ordinal))
        {
            throw new ArgumentException("The format must contain {0}.", nameof(format));
        }

        _client = client;
        _credentialName = credentialName;
        _headerName = headerName;
        _format = format;
    }

    /// <summary>Sets the header from the cache, then sends.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>The response.</returns>
    /// <exception cref="CredentialNotFoundException">The cache does not hold the credential.</exception>
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var credential = _client.GetCredential(_credentialName);
        request.Headers.Remove(_headerName);
        request.Headers.TryAddWithoutValidation(_headerName, string.Format(CultureInfo.InvariantCulture, _format, credential.Value));
        return base.SendAsync(request, cancellationToken);
    }
}
