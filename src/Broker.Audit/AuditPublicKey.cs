using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Broker.Audit;

/// <summary>
/// The public half of an audit signing key (ES256, P-256) as <c>/.well-known/audit-keys.json</c> publishes it:
/// <c>{kty: "EC", use: "sig", alg: "ES256", kid, crv: "P-256", x, y}</c>. <see cref="Kid"/> is the RFC 7638 thumbprint
/// of the key, so a verifier can check that a published kid belongs to its key.
/// </summary>
public sealed record AuditPublicKey(string Kid, string X, string Y)
{
    public const string Algorithm = "ES256";
    public const string Curve = "P-256";

    /// <summary>The RFC 7638 thumbprint: base64url SHA-256 of <c>{"crv":"P-256","kty":"EC","x":...,"y":...}</c>.</summary>
    public static string Thumbprint(string x, string y)
    {
        // x and y are base64url (no character needs JSON escaping), the other members are fixed (RFC 7638 §3.3).
        var canonical = "{\"crv\":\"" + Curve + "\",\"kty\":\"EC\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}";
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>The public key of a P-256 <see cref="ECDsa"/>; only Q is exported.</summary>
    public static AuditPublicKey Of(ECDsa ecdsa)
    {
        ArgumentNullException.ThrowIfNull(ecdsa);
        var q = ecdsa.ExportParameters(includePrivateParameters: false).Q;
        var x = Base64Url.EncodeToString(q.X);
        var y = Base64Url.EncodeToString(q.Y);
        return new AuditPublicKey(Thumbprint(x, y), x, y);
    }

    /// <summary>An <see cref="ECDsa"/> that verifies with this key (the caller disposes it).</summary>
    /// <exception cref="FormatException">x or y is not base64url of a P-256 coordinate.</exception>
    public ECDsa ToECDsa()
    {
        var x = Base64Url.DecodeFromChars(X);
        var y = Base64Url.DecodeFromChars(Y);
        if (x.Length != 32 || y.Length != 32)
        {
            throw new FormatException("An audit key's coordinates must be 32 bytes each.");
        }

        try
        {
            return ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
        }
        catch (CryptographicException ex)
        {
            throw new FormatException("An audit key is not a point on P-256.", ex);
        }
    }

    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("kty", "EC");
        writer.WriteString("use", "sig");
        writer.WriteString("alg", Algorithm);
        writer.WriteString("kid", Kid);
        writer.WriteString("crv", Curve);
        writer.WriteString("x", X);
        writer.WriteString("y", Y);
        writer.WriteEndObject();
    }

    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads one JWK, checking that it is a P-256 key whose kid is its thumbprint.</summary>
    /// <exception cref="FormatException">It is not such a key.</exception>
    public static AuditPublicKey Parse(JsonElement jwk)
    {
        string Read(string name) =>
            jwk.ValueKind == JsonValueKind.Object && jwk.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : throw new FormatException($"The JWK has no '{name}'.");

        if (Read("kty") != "EC" || Read("crv") != Curve)
        {
            throw new FormatException("The JWK is not a P-256 key.");
        }

        var key = new AuditPublicKey(Read("kid"), Read("x"), Read("y"));
        return Thumbprint(key.X, key.Y) == key.Kid ? key : throw new FormatException("The JWK's kid is not its thumbprint.");
    }

    public static AuditPublicKey Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement);
    }

    /// <summary>The keys of a JWKS document <c>{"keys":[...]}</c>; members that are not P-256 keys with a thumbprint kid are skipped.</summary>
    /// <exception cref="FormatException">The document has no <c>keys</c> array.</exception>
    public static IReadOnlyList<AuditPublicKey> ParseJwks(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("A JWKS is an object with a 'keys' array.");
        }

        var result = new List<AuditPublicKey>();
        foreach (var element in keys.EnumerateArray())
        {
            try
            {
                result.Add(Parse(element));
            }
            catch (FormatException)
            {
                // A key of another kind (or a malformed one) cannot verify a checkpoint; the others still can.
            }
        }

        return result;
    }

    /// <summary><c>{"keys":[...]}</c>.</summary>
    public static string ToJwks(IEnumerable<AuditPublicKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            foreach (var key in keys)
            {
                key.WriteTo(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
