using System.Text.Json;

namespace Broker.Minting.Signing;

/// <summary>The public half of a P-256 signing key as JWKS publishes it. There is no place here for a private parameter.</summary>
public sealed record PublicJwk(string Kid, string X, string Y)
{
    public const string KeyType = "EC";
    public const string Curve = "P-256";
    public const string Use = "sig";
    public const string Algorithm = "ES256";

    /// <summary>Writes <c>{kty, use, alg, kid, crv, x, y}</c>.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("kty", KeyType);
        writer.WriteString("use", Use);
        writer.WriteString("alg", Algorithm);
        writer.WriteString("kid", Kid);
        writer.WriteString("crv", Curve);
        writer.WriteString("x", X);
        writer.WriteString("y", Y);
        writer.WriteEndObject();
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads a stored public JWK, checking that it is a P-256 key whose kid is its thumbprint.</summary>
    /// <exception cref="FormatException">The JSON is not such a key.</exception>
    public static PublicJwk Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        string Read(string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : throw new FormatException($"The stored public JWK has no '{name}'.");

        if (Read("kty") != KeyType || Read("crv") != Curve)
        {
            throw new FormatException("The stored public JWK is not a P-256 key.");
        }

        var jwk = new PublicJwk(Read("kid"), Read("x"), Read("y"));
        if (JwkThumbprint.ForEcKey(Curve, jwk.X, jwk.Y) != jwk.Kid)
        {
            throw new FormatException("The stored public JWK's kid is not its thumbprint.");
        }

        return jwk;
    }
}
