using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Broker.Vault.DataProtection;

/// <summary>
/// The default KEK: an ASP.NET Core Data Protection key ring (under the data directory), with a purpose
/// string of its own so no other protector can unwrap data keys.
/// <para>
/// Unprotect costs tens of microseconds, so unwrapped data keys are kept in a bounded in-memory cache keyed by
/// the SHA-256 of their wrapped form (what the master-key KEK does in one AES-GCM call anyway). The cache holds
/// data keys, never values; it is emptied (and zeroed) when it reaches its bound.
/// </para>
/// </summary>
public sealed class DataProtectionKeyEncryptionKey(IDataProtectionProvider provider) : IKeyEncryptionKey
{
    public const string Purpose = "Broker.Vault.DataKey.v1";
    private const int MaxCached = 8192;
    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);
    private readonly ConcurrentDictionary<WrappedKeyId, byte[]> _unwrapped = new();

    public string Id => "dp:v1";

    public byte[] Wrap(ReadOnlySpan<byte> dataKey) => _protector.Protect(dataKey.ToArray());

    public byte[] Unwrap(ReadOnlySpan<byte> wrappedKey)
    {
        var id = WrappedKeyId.Of(wrappedKey);
        if (_unwrapped.TryGetValue(id, out var cached))
        {
            return cached.ToArray();
        }

        byte[] dataKey;
        try
        {
            dataKey = _protector.Unprotect(wrappedKey.ToArray());
        }
        catch (CryptographicException ex)
        {
            throw new KeyEncryptionKeyException("A data key cannot be unwrapped with the Data Protection key ring (missing or different key ring?).", ex);
        }

        if (_unwrapped.Count >= MaxCached)
        {
            foreach (var key in _unwrapped.Keys)
            {
                if (_unwrapped.TryRemove(key, out var evicted))
                {
                    CryptographicOperations.ZeroMemory(evicted);
                }
            }
        }

        _unwrapped.TryAdd(id, dataKey.ToArray());
        return dataKey;
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct WrappedKeyId(ulong A, ulong B, ulong C, ulong D)
    {
        public static WrappedKeyId Of(ReadOnlySpan<byte> wrapped)
        {
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(wrapped, hash);
            var words = MemoryMarshal.Cast<byte, ulong>(hash);
            return new WrappedKeyId(words[0], words[1], words[2], words[3]);
        }
    }
}
