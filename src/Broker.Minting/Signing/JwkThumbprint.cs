using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Broker.Minting.Signing;

/// <summary>RFC 7638 JWK thumbprints, used as <c>kid</c> so every replica derives the same id from the key itself.</summary>
public static class JwkThumbprint
{
    /// <summary>
    /// The base64url SHA-256 of the canonical JSON of an EC public key: the required members only, in
    /// lexicographic order, no whitespace: <c>{"crv":...,"kty":"EC","x":...,"y":...}</c>.
    /// </summary>
    public static string ForEcKey(string crv, string x, string y)
    {
        // crv is a fixed curve name and x, y are base64url, so none of them needs JSON escaping (RFC 7638 §3.3).
        var canonical = "{\"crv\":\"" + crv + "\",\"kty\":\"EC\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}";
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(canonical), hash);
        return Base64Url.EncodeToString(hash);
    }
}
