using System.Security.Cryptography;
using Broker.Audit;
using Broker.Core;
using Broker.Server.Hosting;
using Microsoft.AspNetCore.DataProtection;

namespace Broker.Server.Adapters;

/// <summary>
/// The value-HMAC key of a broker that ran without a master key before the key was kept in the store: 32 bytes in
/// <c>audit-hmac.key</c> under the data directory, protected by the Data Protection key ring. Only read, to seed the
/// store once (<see cref="SealedValueHmacKeySource"/>); nothing creates that file any more.
/// </summary>
public sealed class DataProtectedValueHmacKeySeed(BrokerPaths paths, IDataProtectionProvider provider) : IValueHmacKeySeed
{
    public const string FileName = "audit-hmac.key";

    /// <exception cref="BrokerOperationException">Unavailable: the file is there but the key ring cannot open it (the start is refused, saying how to go on).</exception>
    public byte[]? GetSeed()
    {
        var file = Path.Combine(paths.DataDir, FileName);
        if (!File.Exists(file))
        {
            return null;
        }

        try
        {
            return provider.CreateProtector("Broker.Audit.ValueHmac.v1").Unprotect(File.ReadAllBytes(file));
        }
        catch (CryptographicException ex)
        {
            throw new BrokerOperationException(BrokerErrorKind.Unavailable,
                $"The earlier value-HMAC key in {FileName} cannot be opened with the Data Protection key ring. Restore the key ring, or delete the file to start with a new key (reads recorded before are then no longer findable by value).", ex);
        }
    }
}
