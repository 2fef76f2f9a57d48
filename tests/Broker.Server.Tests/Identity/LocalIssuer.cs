using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Broker.Server.Tests.Identity;

/// <summary>
/// A real OpenID-style issuer on loopback (Kestrel): serves its public keys as a JWKS at <see cref="JwksUri"/> and signs
/// tokens with RS256 or ES256 keys it can rotate. Counts JWKS fetches.
/// </summary>
public sealed class LocalIssuer : IAsyncDisposable
{
    public const string Audience = "broker";

    private readonly WebApplication _app;
    private readonly List<SecurityKey> _published = [];
    private int _fetches;

    private LocalIssuer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        Rsa = NewRsa();
        Ec = NewEc();
        _published.AddRange([Rsa, Ec]);
    }

    public string BaseUrl { get; }

    public string Issuer => BaseUrl + "/issuer";

    public string JwksUri => BaseUrl + "/jwks.json";

    public RsaSecurityKey Rsa { get; private set; }

    public ECDsaSecurityKey Ec { get; }

    public int Fetches => Volatile.Read(ref _fetches);

    public static async Task<LocalIssuer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        LocalIssuer? issuer = null;
        app.MapGet("/jwks.json", () => issuer!.Jwks());
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        issuer = new LocalIssuer(app, url.TrimEnd('/'));
        return issuer;
    }

    /// <summary>A new RSA key signs from now on; the old one is no longer published.</summary>
    public RsaSecurityKey RotateRsa()
    {
        lock (_published)
        {
            _published.Remove(Rsa);
            Rsa = NewRsa();
            _published.Add(Rsa);
            return Rsa;
        }
    }

    /// <summary>A signed token for <paramref name="subject"/> with these claims, valid for ten minutes unless told otherwise.</summary>
    public string Sign(string subject, SecurityKey? key = null, string? audience = Audience, string? issuer = null,
        DateTimeOffset? notBefore = null, DateTimeOffset? expires = null, string algorithm = SecurityAlgorithms.RsaSha256, Dictionary<string, object>? claims = null)
    {
        var now = DateTimeOffset.UtcNow;
        var payload = new Dictionary<string, object>(claims ?? []) { ["sub"] = subject };
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            Claims = payload,
            IssuedAt = (notBefore ?? now).UtcDateTime,
            NotBefore = (notBefore ?? now.AddSeconds(-5)).UtcDateTime,
            Expires = (expires ?? now.AddMinutes(10)).UtcDateTime,
            SigningCredentials = new SigningCredentials(key ?? Rsa, algorithm),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>An unsigned token (<c>alg: none</c>) that otherwise says everything a valid one says.</summary>
    public string Unsigned(string subject)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64UrlEncoder.Encode(JsonSerializer.Serialize(new { alg = "none", typ = "JWT", kid = Rsa.KeyId }));
        var payload = Base64UrlEncoder.Encode(JsonSerializer.Serialize(new { iss = Issuer, aud = Audience, sub = subject, iat = now, nbf = now - 5, exp = now + 600 }));
        return header + "." + payload + ".";
    }

    /// <summary>An HS256 token whose HMAC secret is the RSA key's public JWK as published (the key-confusion attack).</summary>
    public string SignedWithPublicKeyAsHmac(string subject)
    {
        var publicJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(Rsa.Rsa.ExportParameters(false)) { KeyId = Rsa.KeyId });
        var secret = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { e = publicJwk.E, kty = "RSA", n = publicJwk.N }))) { KeyId = Rsa.KeyId };
        return Sign(subject, secret, algorithm: SecurityAlgorithms.HmacSha256);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private IResult Jwks()
    {
        Interlocked.Increment(ref _fetches);
        lock (_published)
        {
            var keys = _published.Select(k => k switch
            {
                RsaSecurityKey rsa => JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.Rsa.ExportParameters(false)) { KeyId = rsa.KeyId }),
                ECDsaSecurityKey ec => JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(ec.ECDsa.ExportParameters(false))) { KeyId = ec.KeyId }),
                _ => throw new InvalidOperationException(),
            }).Select(j => new { kty = j.Kty, kid = j.Kid, use = "sig", n = j.N, e = j.E, crv = j.Crv, x = j.X, y = j.Y }).ToArray();
            return Results.Json(new { keys }, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });
        }
    }

    private static RsaSecurityKey NewRsa() => new(RSA.Create(2048)) { KeyId = "rsa-" + Guid.NewGuid().ToString("n")[..8] };

    private static ECDsaSecurityKey NewEc() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "ec-" + Guid.NewGuid().ToString("n")[..8] };
}
