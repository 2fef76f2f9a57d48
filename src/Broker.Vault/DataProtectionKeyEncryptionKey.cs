using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Broker.Vault;

/// <summary>
/// The default KEK: an ASP.NET Core Data Protection key ring (under the data directory), with a purpose
/// string of its own so no other protector can unwrap data keys.
/// </summary>
public sealed class DataProtectionKeyEncryptionKey(IDataProtectionProvider provider) : IKeyEncryptionKey
{
    public const string Purpose = "Broker.Vault.DataKey.v1";
    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    public string Id => "dp:v1";

    public byte[] Wrap(ReadOnlySpan<byte> dataKey) => _protector.Protect(dataKey.ToArray());

    public byte[] Unwrap(ReadOnlySpan<byte> wrappedKey)
    {
        try
        {
            return _protector.Unprotect(wrappedKey.ToArray());
        }
        catch (CryptographicException ex)
        {
            throw new KeyEncryptionKeyException("A data key cannot be unwrapped with the Data Protection key ring (missing or different key ring?).", ex);
        }
    }
}
