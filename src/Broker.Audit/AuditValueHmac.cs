using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Broker.Audit;

/// <summary>
/// The keyed fingerprint of a secret value that an audit record may carry instead of the value:
/// <c>hex(HMAC-SHA256(key, uint32be(len(tenant)) | tenant | value))</c>. The same value in the same tenant gives
/// the same HMAC, so "was this secret read, and by whom?" is one indexed lookup; without the key the HMAC says
/// nothing about the value (no offline guessing from a stolen database), and binding the tenant keeps equal values
/// in two tenants unlinkable.
/// </summary>
public sealed class AuditValueHmac(IValueHmacKeySource keySource)
{
    private const int HexLength = 64;

    /// <summary>Whether <see cref="Compute(string, string)"/> can run now (its key is loaded); otherwise await <see cref="EnsureReadyAsync"/> first.</summary>
    public bool IsReady => keySource.IsLoaded;

    /// <summary>Loads the key when it is not yet (kept in the store, and the store or key-encryption key was unavailable at start).</summary>
    /// <exception cref="Broker.Core.BrokerOperationException">Unavailable: the key cannot be loaded now.</exception>
    public ValueTask EnsureReadyAsync(CancellationToken cancellationToken = default) => keySource.LoadAsync(cancellationToken);

    public string Compute(string tenant, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var length = Encoding.UTF8.GetByteCount(value);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(value, rented);
            return Compute(tenant, rented.AsSpan(0, written));
        }
        finally
        {
            // The buffer held a secret value; pooled memory outlives this call.
            CryptographicOperations.ZeroMemory(rented.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public string Compute(string tenant, ReadOnlySpan<byte> value)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        var tenantLength = Encoding.UTF8.GetByteCount(tenant);
        var total = sizeof(uint) + tenantLength + value.Length;
        var rented = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var span = rented.AsSpan(0, total);
            BinaryPrimitives.WriteUInt32BigEndian(span, (uint)tenantLength);
            Encoding.UTF8.GetBytes(tenant, span[sizeof(uint)..]);
            value.CopyTo(span[(sizeof(uint) + tenantLength)..]);
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(keySource.GetKey(), span, mac);
            return Convert.ToHexStringLower(mac);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(rented.AsSpan(0, total));
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Whether <paramref name="text"/> looks like an output of <see cref="Compute(string, string)"/> (64 lowercase hex digits).</summary>
    public static bool IsWellFormed(string? text)
    {
        if (text is not { Length: HexLength })
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }
}
