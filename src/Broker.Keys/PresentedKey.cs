using System.Runtime.InteropServices;

namespace Broker.Keys;

/// <summary>
/// What a request presented as its key, kept only as its SHA-256 (the form the store holds): enough to check the
/// key again later (after a wait) without keeping the key itself in memory. Opaque: it neither prints nor exposes
/// the hash.
/// </summary>
public readonly struct PresentedKey : IEquatable<PresentedKey>
{
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    private PresentedKey(ReadOnlySpan<byte> hash)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(hash);
        (_a, _b, _c, _d) = (words[0], words[1], words[2], words[3]);
    }

    /// <summary>Hashes a presented value that has the key's shape; false (and no hashing) for anything else.</summary>
    public static bool TryCreate(ReadOnlySpan<char> presented, out PresentedKey key)
    {
        if (!KeySecrets.LooksLikeKey(presented))
        {
            key = default;
            return false;
        }

        Span<byte> hash = stackalloc byte[32];
        KeySecrets.Hash(presented, hash);
        key = new PresentedKey(hash);
        return true;
    }

    public static bool operator ==(PresentedKey left, PresentedKey right) => left.Equals(right);

    public static bool operator !=(PresentedKey left, PresentedKey right) => !left.Equals(right);

    public bool Equals(PresentedKey other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is PresentedKey other && Equals(other);

    // The words of a SHA-256 are uniformly distributed already; one of them is a fine hash code.
    public override int GetHashCode() => (int)_a ^ (int)(_a >> 32);

    public override string ToString() => nameof(PresentedKey);

    internal byte[] ToHash()
    {
        var hash = new byte[32];
        var words = MemoryMarshal.Cast<byte, ulong>(hash.AsSpan());
        (words[0], words[1], words[2], words[3]) = (_a, _b, _c, _d);
        return hash;
    }
}
