using System.Buffers.Binary;
using System.Text;

namespace Broker.Vault;

/// <summary>
/// Builds the associated data that binds a ciphertext to its row: each part length-prefixed, so
/// ("ab","c") and ("a","bc") never collide. A ciphertext copied onto another row fails to decrypt.
/// </summary>
public static class AssociatedData
{
    public static byte[] For(string purpose, params ReadOnlySpan<string> parts)
    {
        var size = 4 + Encoding.UTF8.GetByteCount(purpose);
        foreach (var part in parts)
        {
            size += 4 + Encoding.UTF8.GetByteCount(part);
        }

        var buffer = new byte[size];
        var offset = Write(buffer, 0, purpose);
        foreach (var part in parts)
        {
            offset = Write(buffer, offset, part);
        }

        return buffer;
    }

    /// <summary>The associated data of one credential version.</summary>
    public static byte[] ForCredential(string tenant, string name, string subject, int version) =>
        For("credential.v1", tenant, name, subject, version.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static int Write(byte[] buffer, int offset, string value)
    {
        var count = Encoding.UTF8.GetBytes(value, 0, value.Length, buffer, offset + 4);
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(offset), count);
        return offset + 4 + count;
    }
}
