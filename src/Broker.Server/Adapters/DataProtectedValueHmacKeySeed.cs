using Broker.Audit;
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

    public byte[]? GetSeed()
    {
        var file = Path.Combine(paths.DataDir, FileName);
        return File.Exists(file) ? provider.CreateProtector("Broker.Audit.ValueHmac.v1").Unprotect(File.ReadAllBytes(file)) : null;
    }
}
