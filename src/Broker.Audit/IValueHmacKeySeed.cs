namespace Broker.Audit;

/// <summary>
/// The value-HMAC key this broker used before the key was kept in the store (derived from the master key, or a file
/// under the data directory). <see cref="SealedValueHmacKeySource"/> seeds the store with it once, so that the records
/// written before stay findable by value; without a seed the stored key is random.
/// </summary>
public interface IValueHmacKeySeed
{
    /// <summary>The earlier key (at least 32 bytes; the caller zeroes it), or <see langword="null"/> when there was none.</summary>
    byte[]? GetSeed();
}

/// <summary>The seed of a broker that ran with <c>Broker:MasterKey</c>: the key it derived from it (HKDF-SHA256).</summary>
public sealed class DerivedValueHmacKeySeed(string masterKeyBase64) : IValueHmacKeySeed
{
    public byte[]? GetSeed()
    {
        var secret = Convert.FromBase64String(masterKeyBase64);
        try
        {
            return StaticValueHmacKeySource.DeriveFrom(secret).GetKey().ToArray();
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        }
    }
}
