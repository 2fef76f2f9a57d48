using System.Collections.Concurrent;
using Broker.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Identity;

/// <summary>
/// The signing keys of trusted issuers, as a <c>ConfigurationManager</c> keeps them: fetched from the issuer's
/// <c>jwksUri</c> on first use, kept for <see cref="RefreshAfter"/>, and fetched again early when a token names a
/// <c>kid</c> the keys do not hold (a rotation at the issuer), at most once per <see cref="MinRefreshInterval"/> per
/// issuer so that tokens with made-up kids cannot make the broker hammer it. One fetch at a time per issuer; when a
/// fetch fails the last good keys stay in use. An inline <c>jwks</c> is parsed once.
/// </summary>
public sealed partial class IssuerKeys(IHttpClientFactory httpClients, TimeProvider time, ILogger<IssuerKeys>? logger = null)
{
    /// <summary>The name of the HTTP client that fetches JWKS (no redirects, short timeout).</summary>
    public const string HttpClientName = "broker-identity-jwks";

    public const int MaxJwksBytes = 256 * 1024;

    public static readonly TimeSpan MinRefreshInterval = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan RefreshAfter = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ILogger _logger = logger ?? NullLogger<IssuerKeys>.Instance;

    /// <summary>
    /// The issuer's keys; with <paramref name="unknownKid"/> (a token named a kid they lack), fetched again first
    /// unless the last fetch was less than <see cref="MinRefreshInterval"/> ago.
    /// </summary>
    /// <exception cref="BrokerOperationException">Unavailable: the keys were never fetched successfully.</exception>
    public async ValueTask<IList<SecurityKey>> GetAsync(TrustedIssuer issuer, bool unknownKid, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var entry = _entries.GetOrAdd(KeyOf(issuer.Tenant, issuer.Name) + "\n" + issuer.CreatedAt.ToUnixTimeMilliseconds(), _ => new Entry());
        if (issuer.Jwks is { } inline)
        {
            return entry.Keys ??= new JsonWebKeySet(inline).GetSigningKeys();
        }

        if (!NeedsFetch(entry, unknownKid, time.GetUtcNow()))
        {
            // Never fetched yet, and the last attempt failed moments ago: unavailable, without asking the issuer again.
            return entry.Keys ?? throw Unavailable(issuer);
        }

        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another request may have fetched while this one waited.
            var now = time.GetUtcNow();
            if (NeedsFetch(entry, unknownKid, now))
            {
                entry.LastAttempt = now;
                if (unknownKid && entry.Keys is not null)
                {
                    entry.LastKidRefresh = now;
                }

                try
                {
                    entry.Keys = await FetchAsync(issuer.JwksUri!, cancellationToken).ConfigureAwait(false);
                    entry.FetchedAt = now;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or ArgumentException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
                {
                    LogFetchFailed(_logger, issuer.Tenant, issuer.Name, ex.GetType().Name);
                }
            }

            return entry.Keys ?? throw Unavailable(issuer);
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>Drops what is kept of a removed issuer.</summary>
    public void Forget(string tenant, string name)
    {
        var prefix = KeyOf(tenant, name) + "\n";
        foreach (var key in _entries.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
        {
            _entries.TryRemove(key, out _);
        }
    }

    private static BrokerOperationException Unavailable(TrustedIssuer issuer) =>
        new(BrokerErrorKind.Unavailable, $"The keys of trusted issuer '{issuer.Name}' could not be fetched; the user cannot be proven now.");

    private static string KeyOf(string tenant, string name) => tenant + "\n" + name;

    private static bool NeedsFetch(Entry entry, bool unknownKid, DateTimeOffset now) =>
        entry.Keys is null
            ? now - entry.LastAttempt >= TimeSpan.FromSeconds(5) || entry.LastAttempt == default
            : now - entry.FetchedAt >= RefreshAfter || (unknownKid && (entry.LastKidRefresh is not { } last || now - last >= MinRefreshInterval));

    private async Task<IList<SecurityKey>> FetchAsync(string uri, CancellationToken cancellationToken)
    {
        using var client = httpClients.CreateClient(HttpClientName);
        using var response = await client.GetAsync(new Uri(uri), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > MaxJwksBytes)
        {
            throw new InvalidOperationException("The JWKS is too large.");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxJwksBytes)
            {
                throw new InvalidOperationException("The JWKS is too large.");
            }

            buffer.Write(chunk, 0, read);
        }

        var set = new JsonWebKeySet(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        return set.GetSigningKeys();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The keys of trusted issuer {Name} of tenant {Tenant} could not be fetched ({Error}); the last good keys stay in use.")]
    private static partial void LogFetchFailed(ILogger logger, string tenant, string name, string error);

    private sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public IList<SecurityKey>? Keys { get; set; }

        public DateTimeOffset FetchedAt { get; set; }

        public DateTimeOffset LastAttempt { get; set; }

        /// <summary>When an unknown kid last made it fetch early (the first one may at once, as after a rotation).</summary>
        public DateTimeOffset? LastKidRefresh { get; set; }
    }
}
