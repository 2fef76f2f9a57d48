using System.Text;
using System.Text.Json;

namespace Broker.Minting.Signing;

/// <summary>
/// One immutable view of the key set, swapped whole by <see cref="SigningKeyManager"/>: the key that signs now,
/// every public key a validator still needs, and the JWKS document made from them.
/// </summary>
public sealed class SigningKeySnapshot
{
    internal SigningKeySnapshot(SigningKey current, IReadOnlyList<PublicJwk> published, DateTimeOffset loadedAt, DateTimeOffset nextChangeAt)
    {
        Current = current;
        Published = published;
        LoadedAt = loadedAt;
        NextChangeAt = nextChangeAt;
        JwksJson = BuildJwks(published);
    }

    /// <summary>The key that signs new tokens.</summary>
    public SigningKey Current { get; }

    /// <summary>Public keys that verify every unexpired token: the current key first, then retired keys.</summary>
    public IReadOnlyList<PublicJwk> Published { get; }

    /// <summary>When this view was read from the store.</summary>
    public DateTimeOffset LoadedAt { get; }

    /// <summary>The earliest of: next reload, scheduled rotation, a retired key leaving the JWKS.</summary>
    internal DateTimeOffset NextChangeAt { get; }

    /// <summary><c>{"keys":[...]}</c> with public parameters only.</summary>
    public string JwksJson { get; }

    /// <summary>Whether this view trusts tokens signed with <paramref name="kid"/>: exactly the keys the JWKS publishes.</summary>
    public bool Trusts(string kid)
    {
        foreach (var key in Published)
        {
            if (string.Equals(key.Kid, kid, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string BuildJwks(IReadOnlyList<PublicJwk> keys)
    {
        using var buffer = new MemoryStream();
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

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
