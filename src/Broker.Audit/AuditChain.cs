using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Broker.Audit;

/// <summary>
/// The canonical encoding and hash of a record. Version 1, in this fixed order:
/// <code>
/// "broker.audit.v1" | id (int64 big-endian) | time | tenant | actor.keyId | actor.name | actor.role | action |
/// target | outcome | reason | requestId | clientAddress | userAgent | valueHmac | prevHash
/// </code>
/// Every string field is a presence byte (0 = null, 1 = present) then, when present, its UTF-8 length as a
/// uint32 big-endian and its bytes; the time is <see cref="AuditTime"/>'s text. Length prefixes make the
/// encoding unambiguous (no two records share it: "ab"+"c" differs from "a"+"bc", null differs from ""), and
/// <c>prevHash</c> inside the hashed bytes links the chain. <c>hash = lowercase hex SHA-256(encoding)</c>.
/// </summary>
public static class AuditChain
{
    /// <summary>The <c>prevHash</c> of a tenant's first record.</summary>
    public static readonly string GenesisHash = new('0', 64);

    private static readonly byte[] Domain = Encoding.UTF8.GetBytes("broker.audit.v1");

    public static string ComputeHash(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var time = AuditTime.ToText(record.Time);
        ReadOnlySpan<string?> fields =
        [
            time, record.Tenant, record.Actor.KeyId, record.Actor.Name, record.Actor.Role, record.Action,
            record.Target, record.Outcome, record.Reason, record.RequestId, record.ClientAddress, record.UserAgent,
            record.ValueHmac, record.PrevHash,
        ];

        var length = 5 + Domain.Length + sizeof(long);
        foreach (var field in fields)
        {
            length += 1 + (field is null ? 0 : sizeof(uint) + Encoding.UTF8.GetByteCount(field));
        }

        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = rented.AsSpan(0, length);
            var at = WriteBytes(span, 0, Domain);
            BinaryPrimitives.WriteInt64BigEndian(span[at..], record.Id);
            at += sizeof(long);
            foreach (var field in fields)
            {
                at = WriteString(span, at, field);
            }

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(span[..at], hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int WriteBytes(Span<byte> span, int at, ReadOnlySpan<byte> bytes)
    {
        span[at++] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)bytes.Length);
        at += sizeof(uint);
        bytes.CopyTo(span[at..]);
        return at + bytes.Length;
    }

    private static int WriteString(Span<byte> span, int at, string? value)
    {
        if (value is null)
        {
            span[at] = 0;
            return at + 1;
        }

        span[at++] = 1;
        var written = Encoding.UTF8.GetBytes(value, span[(at + sizeof(uint))..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)written);
        return at + sizeof(uint) + written;
    }
}
