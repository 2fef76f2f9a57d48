using System.Security.Cryptography;
using Broker.Audit;
using Broker.Server.Hosting;
using Microsoft.AspNetCore.DataProtection;

namespace Broker.Server.Adapters;

/// <summary>
/// The audit's value-HMAC key when no master key is configured: 32 random bytes, kept under the data
/// directory protected by the Data Protection key ring (the same trust root as the vault's data keys).
/// </summary>
public sealed class DataProtectedValueHmacKeySource(BrokerPaths paths, IDataProtectionProvider provider) : IValueHmacKeySource
{
    private readonly Lazy<byte[]> _key = new(() => LoadOrCreate(paths, provider.CreateProtector("Broker.Audit.ValueHmac.v1")));

    public ReadOnlySpan<byte> GetKey() => _key.Value;

    private static byte[] LoadOrCreate(BrokerPaths paths, IDataProtector protector)
    {
        var file = Path.Combine(paths.DataDir, "audit-hmac.key");
        if (File.Exists(file))
        {
            return protector.Unprotect(File.ReadAllBytes(file));
        }

        var key = RandomNumberGenerator.GetBytes(32);
        var temp = file + ".tmp";
        File.WriteAllBytes(temp, protector.Protect(key));
        File.Move(temp, file, overwrite: false);
        return key;
    }
}
