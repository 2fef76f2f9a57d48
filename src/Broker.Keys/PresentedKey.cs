using System.Runtime.InteropServices;

namespace Broker.Keys;

/// <summary>
/// What a request presented as its key, kept only as its SHA-256 (the form the store holds): enough to check the
/// key again later (after a wait) without keeping the key itself in memory. Never logged or returned.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct PresentedKey(ulong A, ulong B, ulong C, ulong D)
{
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
        key = From(hash);
        return true;
    }

    internal static PresentedKey From(ReadOnlySpan<byte> hash)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(hash);
        return new PresentedKey(words[0], words[1], words[2], words[3]);
    }

    internal byte[] ToHash()
    {
        var hash = new byte[32];
        var words = MemoryMarshal.Cast<byte, ulong>(hash.AsSpan());
        words[0] = A;
        words[1] = B;
        words[2] = C;
        words[3] = D;
        return hash;
    }

    /// <summary>Says nothing about the hash (a record struct would print it).</summary>
    public override string ToString() => nameof(PresentedKey);
}
