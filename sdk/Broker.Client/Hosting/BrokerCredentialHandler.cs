using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Broker.Client;

/// <summary>
/// Puts the current value of one broker credential into a request header at send time, and only for the hosts it
/// was configured for; the value never reaches the caller's code.
/// </summary>
/// <remarks>
/// <para>A request to a host that is not allowed goes out without the credential (and a warning is logged).</para>
/// <para>
/// Redirects: a handler below this one that followed redirects would re-send the header to wherever the server
/// points (.NET drops only <c>Authorization</c>, and only that). So at its first request this handler turns off
/// <c>AllowAutoRedirect</c> on the <see cref="SocketsHttpHandler"/> or <see cref="HttpClientHandler"/> at the
/// bottom of its pipeline and follows redirects itself, by the same rules (same status codes, POST becoming GET,
/// no https-to-http, <c>MaxAutomaticRedirections</c>), dropping the credential and any <c>Authorization</c> at
/// each hop and putting the credential back only for an allowed host. A pipeline that did not follow redirects
/// still does not. When the bottom handler has already sent requests and can no longer be changed, the request
/// fails with an <see cref="InvalidOperationException"/> instead of risking the credential.
/// </para>
/// </remarks>
public class BrokerCredentialHandler : DelegatingHandler
{
    private readonly BrokerClient _client;
    private readonly string _credentialName;
    private readonly string _headerName;
    private readonly string _format;
    private readonly AllowedHost[] _allowedHosts;
    private readonly ILogger? _logger;
    private readonly object _gate = new();
    private RedirectPolicy? _redirects;

    /// <summary>Creates the handler; give it hosts through the other constructor, or every request fails.</summary>
    /// <param name="client">The client whose cache holds the credential.</param>
    /// <param name="credentialName">The credential's name.</param>
    /// <param name="headerName">The header to set (replacing any value already there).</param>
    /// <param name="format">A composite format with <c>{0}</c> for the value.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A name is empty or <paramref name="format"/> lacks <c>{0}</c>.</exception>
    public BrokerCredentialHandler(BrokerClient client, string credentialName, string headerName = "Authorization", string format = "Bearer {0}")
        : this(client, credentialName, new BrokerCredentialHandlerOptions { HeaderName = headerName, Format = format })
    {
    }

    /// <summary>Creates the handler.</summary>
    /// <param name="client">The client whose cache holds the credential.</param>
    /// <param name="credentialName">The credential's name.</param>
    /// <param name="options">The header, its format and the allowed hosts; copied.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A name is empty, the format lacks <c>{0}</c>, or an allowed host is not a host name.</exception>
    public BrokerCredentialHandler(BrokerClient client, string credentialName, BrokerCredentialHandlerOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(credentialName);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.HeaderName, nameof(options));
        ArgumentNullException.ThrowIfNull(options.Format, nameof(options));
        if (!options.Format.Contains("{0}", StringComparison.Ordinal))
        {
            throw new ArgumentException("The format must contain {0}.", nameof(options));
        }

        _client = client;
        _credentialName = credentialName;
        _headerName = options.HeaderName;
        _format = options.Format;
        _allowedHosts = options.AllowedHosts.Select(AllowedHost.Parse).ToArray();
        _logger = client.Logging?.CreateLogger<BrokerCredentialHandler>();
    }

    /// <summary>Sets the header from the cache when the request's host is allowed, then sends, following redirects as described above.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>The response.</returns>
    /// <exception cref="CredentialNotFoundException">The cache does not hold the credential.</exception>
    /// <exception cref="InvalidOperationException">No allowed hosts were configured, or the pipeline follows redirects and can no longer be changed.</exception>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_allowedHosts.Length == 0)
        {
            throw new InvalidOperationException(
                $"The handler for broker credential '{_credentialName}' has no allowed hosts. Give the HttpClient a BaseAddress in AddHttpClient, " +
                "or list the hosts in BrokerCredentialHandlerOptions.AllowedHosts; the credential is never sent to a host nobody chose.");
        }

        var redirects = _redirects ?? TakeOverRedirects();
        var added = Authorize(request, isRedirect: false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        for (var hops = 0; redirects.Follow && hops < redirects.MaxRedirections; hops++)
        {
            var next = RedirectTarget(response, request.RequestUri);
            if (next is null)
            {
                break;
            }

            if (ForcesGet(response.StatusCode, request.Method))
            {
                request.Method = HttpMethod.Get;
                request.Content = null;
                request.Headers.TransferEncodingChunked = false;
            }

            response.Dispose();
            request.RequestUri = next;
            request.Headers.Authorization = null;
            if (added)
            {
                request.Headers.Remove(_headerName);
            }

            added = Authorize(request, isRedirect: true);
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        return response;
    }

    private static Uri? RedirectTarget(HttpResponseMessage response, Uri? current)
    {
        if (current is null || response.StatusCode is not (HttpStatusCode.MultipleChoices or HttpStatusCode.MovedPermanently or HttpStatusCode.Found
            or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect))
        {
            return null;
        }

        if (response.Headers.Location is not { } location)
        {
            return null;
        }

        var next = location.IsAbsoluteUri ? location : new Uri(current, location);
        if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps)
        {
            return null;
        }

        // As .NET: never from https to http, and a Location without a fragment keeps the request's.
        if (current.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp)
        {
            return null;
        }

        if (string.IsNullOrEmpty(next.Fragment) && !string.IsNullOrEmpty(current.Fragment))
        {
            next = new UriBuilder(next) { Fragment = current.Fragment[1..] }.Uri;
        }

        return next;
    }

    private static bool ForcesGet(HttpStatusCode status, HttpMethod method) => status switch
    {
        HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.MultipleChoices => method == HttpMethod.Post,
        HttpStatusCode.SeeOther => method != HttpMethod.Get && method != HttpMethod.Head,
        _ => false,
    };

    /// <summary>Sets the header when the request's host is allowed (replacing any value there); returns whether it did.</summary>
    private bool Authorize(HttpRequestMessage request, bool isRedirect)
    {
        var uri = request.RequestUri;
        if (uri is not null && uri.IsAbsoluteUri && _allowedHosts.Any(h => h.Matches(uri)))
        {
            var credential = _client.GetCredential(_credentialName);
            request.Headers.Remove(_headerName);
            request.Headers.TryAddWithoutValidation(_headerName, string.Format(CultureInfo.InvariantCulture, _format, credential.Value));
            return true;
        }

        // The host is not a secret; naming it tells the operator what to allow (or what tried to get the credential).
        _logger?.LogWarning(
            isRedirect
                ? "Broker credential {Credential} was not sent after a redirect to {Host}, which is not an allowed host."
                : "Broker credential {Credential} was not sent to {Host}, which is not an allowed host.",
            _credentialName,
            uri?.IsAbsoluteUri == true ? uri.Authority : "(no host)");
        return false;
    }

    private RedirectPolicy TakeOverRedirects()
    {
        lock (_gate)
        {
            if (_redirects is { } known)
            {
                return known;
            }

            HttpMessageHandler? bottom = InnerHandler;
            while (bottom is DelegatingHandler delegating)
            {
                bottom = delegating.InnerHandler;
            }

            try
            {
                _redirects = bottom switch
                {
                    SocketsHttpHandler { AllowAutoRedirect: true } sockets => TakeOver(() => sockets.AllowAutoRedirect = false, sockets.MaxAutomaticRedirections),
                    HttpClientHandler { AllowAutoRedirect: true } client => TakeOver(() => client.AllowAutoRedirect = false, client.MaxAutomaticRedirections),

                    // Redirects off, or a handler that cannot be seen into: nothing to follow here.
                    _ => RedirectPolicy.None,
                };
            }
            catch (InvalidOperationException ex)
            {
                throw new InvalidOperationException(
                    $"The handler for broker credential '{_credentialName}' sits above a {bottom!.GetType().Name} that follows redirects and has already sent requests, " +
                    "so it cannot keep the credential from following a redirect to another host. Set AllowAutoRedirect = false on that handler; this handler then follows redirects itself.",
                    ex);
            }

            return _redirects;
        }
    }

    private static RedirectPolicy TakeOver(Action turnOff, int maxRedirections)
    {
        turnOff();
        return new RedirectPolicy(true, maxRedirections);
    }

    private sealed record RedirectPolicy(bool Follow, int MaxRedirections)
    {
        public static readonly RedirectPolicy None = new(false, 0);
    }

    /// <summary>One entry of <see cref="BrokerCredentialHandlerOptions.AllowedHosts"/>: a host, and a port or -1 for the scheme's default.</summary>
    private sealed record AllowedHost(string Host, int Port)
    {
        public static AllowedHost Parse(string entry)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(entry, nameof(BrokerCredentialHandlerOptions.AllowedHosts));
            var absolute = entry.Contains("://", StringComparison.Ordinal);

            // An unknown scheme has no default port, so Port is -1 exactly when the entry names none.
            if (!Uri.TryCreate(absolute ? entry : "host://" + entry, UriKind.Absolute, out var uri)
                || uri.HostNameType is UriHostNameType.Unknown or UriHostNameType.Basic
                || uri.UserInfo.Length > 0
                || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0
                || (absolute && uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                throw new ArgumentException($"'{entry}' is not a host, host:port or http(s)://host[:port].", nameof(BrokerCredentialHandlerOptions.AllowedHosts));
            }

            return new AllowedHost(uri.IdnHost, uri.Port);
        }

        public bool Matches(Uri uri)
            => string.Equals(uri.IdnHost, Host, StringComparison.OrdinalIgnoreCase)
               && (Port == -1 ? uri.IsDefaultPort : uri.Port == Port);
    }
}
