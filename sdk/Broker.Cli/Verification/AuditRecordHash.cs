using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Broker.Cli.Verification;

/// <summary>
/// The record hash of docs/audit.md, "Canonical encoding (version 1)", written from that description alone (the CLI
/// shares no code with the server, so a bug there is not repeated here):
/// <c>"broker.audit.v1" | id | time | tenant | actor.keyId | actor.name | actor.role | action | target | outcome |
/// reason | requestId | clientAddress | userAgent | valueHmac | prevHash</c>; <c>id</c> is an int64 big-endian; every
/// string is a presence byte (0 null, 1 present), then its UTF-8 length as a uint32 big-endian, then its bytes;
/// <c>hash = hex_lower(SHA-256(encoding))</c>.
/// </summary>
internal static class AuditRecordHash
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string Compute(long id, IReadOnlyList<string?> fieldsAfterId)
    {
        using var buffer = new MemoryStream(512);
        WriteString(buffer, "broker.audit.v1");
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(number, id);
        buffer.Write(number);
        foreach (var field in fieldsAfterId)
        {
            WriteString(buffer, field);
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    private static void WriteString(MemoryStream buffer, string? value)
    {
        if (value is null)
        {
            buffer.WriteByte(0);
            return;
        }

        buffer.WriteByte(1);
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)bytes.Length);
        buffer.Write(length);
        buffer.Write(bytes);
    }
}
