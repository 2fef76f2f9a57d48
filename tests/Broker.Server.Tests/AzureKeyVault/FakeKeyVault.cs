using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broker.Server.Tests.AzureKeyVault;

/// <summary>
/// A local Key Vault speaking the secrets REST API over HTTPS (a certificate made for this instance, trusted only by
/// the transport <see cref="Configure"/> gives the SDK): GET a secret (latest or a version), GET its versions, the
/// 401 bearer challenge before a token is presented, 404, and 429 with Retry-After on demand. The vault's name is
/// <c>test.vault.azure.net</c> (so the SDK's challenge-resource check runs as against Azure); the transport connects
/// that name to this loopback port.
/// </summary>
internal sealed class FakeKeyVault : IAsyncDisposable
{
    public const string AccessToken = "fake-key-vault-access-token";
    public const string Host = "test.vault.azure.net";

    private readonly ConcurrentDictionary<string, List<(string Version, string Value, bool Enabled)>> _secrets = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.OrdinalIgnoreCase);
    private readonly X509Certificate2 _certificate;
    private WebApplication? _app;
    private int _throttle;

    private FakeKeyVault(X509Certificate2 certificate) => _certificate = certificate;

    public int Port { get; private set; }

    public Uri VaultUri => new($"https://{Host}:{Port}/");

    /// <summary>Every connection is dropped (as when the vault cannot be reached).</summary>
    public volatile bool Unreachable;

    /// <summary>Unauthenticated requests answered with the challenge.</summary>
    public int Challenges;

    public static async Task<FakeKeyVault> StartAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={Host}", key, HashAlgorithmName.SHA256);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        var fake = new FakeKeyVault(X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(fake._certificate)));
        var app = builder.Build();
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        fake._app = app;
        fake.Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return fake;
    }

    /// <summary>Adds a version (the new current one); returns its version id.</summary>
    public string SetSecret(string name, string value)
    {
        var version = Guid.NewGuid().ToString("n");
        var versions = _secrets.GetOrAdd(name, _ => []);
        lock (versions)
        {
            versions.Add((version, value, true));
        }

        return version;
    }

    public void DeleteSecret(string name) => _secrets.TryRemove(name, out _);

    /// <summary>The next <paramref name="count"/> authenticated requests get 429 with Retry-After: 1.</summary>
    public void Throttle(int count) => Interlocked.Exchange(ref _throttle, count);

    /// <summary>Reads of a secret's value that were answered with it.</summary>
    public int ReadsOf(string name) => _reads.GetValueOrDefault(name);

    /// <summary>The SDK's transport: connects the vault's name to this port and trusts this instance's certificate alone.</summary>
    public void Configure(SecretClientOptions options)
    {
        var thumbprint = _certificate.GetCertHash(HashAlgorithmName.SHA256);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), thumbprint),
            },
        };
        options.Transport = new HttpClientTransport(handler);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _certificate.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (Unreachable)
        {
            context.Abort();
            return;
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization != "Bearer " + AccessToken)
        {
            Interlocked.Increment(ref Challenges);
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate =
                "Bearer authorization=\"https://login.microsoftonline.com/00000000-0000-0000-0000-0000000000aa\", resource=\"https://vault.azure.net\"";
            await Error(context, 401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
            return;
        }

        if (Interlocked.Decrement(ref _throttle) >= 0)
        {
            context.Response.Headers.RetryAfter = "1";
            await Error(context, 429, "Throttled", "Rate limit exceeded.");
            return;
        }

        Interlocked.Exchange(ref _throttle, 0);
        if (string.IsNullOrEmpty(context.Request.Query["api-version"]) || context.Request.Method != "GET")
        {
            await Error(context, 400, "BadParameter", "api-version is required.");
            return;
        }

        var segments = context.Request.Path.Value!.Trim('/').Split('/');
        if (segments.Length is < 2 or > 3 || segments[0] != "secrets" || !_secrets.TryGetValue(segments[1], out var versions))
        {
            await Error(context, 404, "SecretNotFound", $"A secret with (name/id) {(segments.Length > 1 ? segments[1] : "")} was not found in this key vault.");
            return;
        }

        var name = segments[1];
        List<(string Version, string Value, bool Enabled)> snapshot;
        lock (versions)
        {
            snapshot = [.. versions];
        }

        if (segments.Length == 3 && segments[2] == "versions")
        {
            await Json(context, new { value = snapshot.Select(v => new { id = Id(name, v.Version), attributes = Attributes(v.Enabled) }), nextLink = (string?)null });
            return;
        }

        var wanted = segments.Length == 3 && segments[2].Length > 0 ? snapshot.FirstOrDefault(v => v.Version == segments[2]) : snapshot.LastOrDefault();
        if (wanted.Version is null)
        {
            await Error(context, 404, "SecretNotFound", $"A secret with (name/id) {name}/{segments[2]} was not found in this key vault.");
            return;
        }

        _reads.AddOrUpdate(name, 1, (_, n) => n + 1);
        await Json(context, new { value = wanted.Value, id = Id(name, wanted.Version), attributes = Attributes(wanted.Enabled) });
    }

    private string Id(string name, string version) => $"{VaultUri}secrets/{name}/{version}";

    private static object Attributes(bool enabled) =>
        new { enabled, created = 1_700_000_000, updated = 1_700_000_000, recoveryLevel = "Recoverable+Purgeable" };

    private static Task Error(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return Json(context, new { error = new { code, message } });
    }

    private static Task Json(HttpContext context, object body)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
