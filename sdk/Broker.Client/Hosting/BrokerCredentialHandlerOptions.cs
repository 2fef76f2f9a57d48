namespace Broker.Client;

/// <summary>How a <see cref="BrokerCredentialHandler"/> puts a credential into requests, and to which hosts.</summary>
public class BrokerCredentialHandlerOptions
{
    /// <summary>The header to set, replacing any value already there. Default <c>Authorization</c>.</summary>
    public string HeaderName { get; set; } = "Authorization";

    /// <summary>The header value: a composite format with <c>{0}</c> for the credential. Default <c>Bearer {0}</c>.</summary>
    public string Format { get; set; } = "Bearer {0}";

    /// <summary>
    /// The only hosts the credential is sent to, on the first request or after a redirect: <c>host</c> (on the
    /// scheme's default port, 443 or 80), <c>host:port</c>, or an absolute <c>https://host[:port]</c> URI. Names are
    /// compared without regard to case; there are no wildcards.
    /// </summary>
    /// <remarks>
    /// Empty: with <c>AddBrokerCredential</c>, the host and port of the named client's <see cref="HttpClient.BaseAddress"/>
    /// as configured in <c>AddHttpClient</c>; without one either, every request fails with an
    /// <see cref="InvalidOperationException"/> rather than send the credential to a host nobody chose.
    /// </remarks>
    public IList<string> AllowedHosts { get; } = new List<string>();
}
