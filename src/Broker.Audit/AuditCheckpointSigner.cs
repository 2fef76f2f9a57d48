using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Broker.Audit;

/// <summary>
/// Signs and checks checkpoints. The signature is a compact JWS: <c>b64url(header) "." b64url(payload) "."
/// b64url(sig)</c>, header <c>{"alg":"ES256","kid":kid}</c>, payload <c>{"tenant":t,"id":n,"hash":h,"time":s}</c>
/// (that member order, no whitespace, <c>time</c> as <see cref="AuditTime"/> text), <c>sig</c> the ES256 signature
/// (r‖s, 64 bytes) over the ASCII of the first two parts. A checker verifies the signature over the bytes it was given
/// and then compares the payload's members with the checkpoint's, so it never depends on re-serialising the JSON.
/// </summary>
public static class AuditCheckpointSigner
{
    public static AuditCheckpoint Sign(ECDsa key, string kid, string tenant, AuditChainHead head, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(kid);
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        time = AuditTime.Normalize(time);
        var header = Json(w =>
        {
            w.WriteString("alg", AuditPublicKey.Algorithm);
            w.WriteString("kid", kid);
        });
        var payload = Json(w =>
        {
            w.WriteString("tenant", tenant);
            w.WriteNumber("id", head.Id);
            w.WriteString("hash", head.Hash);
            w.WriteString("time", AuditTime.ToText(time));
        });
        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(payload);
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new AuditCheckpoint(tenant, head.Id, head.Hash, time, kid, signingInput + "." + Base64Url.EncodeToString(signature));
    }

    /// <summary>Whether <paramref name="checkpoint"/> carries a valid signature, by one of <paramref name="keys"/>, over exactly its own fields.</summary>
    public static AuditCheckpointCheck Check(AuditCheckpoint checkpoint, IReadOnlyList<AuditPublicKey> keys)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(keys);
        var key = keys.FirstOrDefault(k => string.Equals(k.Kid, checkpoint.Kid, StringComparison.Ordinal));
        if (key is null)
        {
            return AuditCheckpointCheck.UnknownKey;
        }

        try
        {
            var parts = (checkpoint.Signature ?? "").Split('.');
            if (parts.Length != 3)
            {
                return AuditCheckpointCheck.BadSignature;
            }

            using (var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])))
            {
                if (Text(header.RootElement, "alg") != AuditPublicKey.Algorithm || Text(header.RootElement, "kid") != key.Kid)
                {
                    return AuditCheckpointCheck.BadSignature;
                }
            }

            using (var ecdsa = key.ToECDsa())
            {
                var input = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
                if (!ecdsa.VerifyData(input, Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                {
                    return AuditCheckpointCheck.BadSignature;
                }
            }

            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            var root = payload.RootElement;
            var matches = Text(root, "tenant") == checkpoint.Tenant
                && root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out var n) && n == checkpoint.Id
                && Text(root, "hash") == checkpoint.Hash
                && AuditTime.TryParse(Text(root, "time"), out var time) && time == AuditTime.Normalize(checkpoint.Time);
            return matches ? AuditCheckpointCheck.Valid : AuditCheckpointCheck.BadSignature;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or CryptographicException)
        {
            return AuditCheckpointCheck.BadSignature;
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[] Json(Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
