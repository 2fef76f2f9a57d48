namespace Broker.Audit;

/// <summary>Supplies the key of <see cref="AuditValueHmac"/>. The host decides where it comes from (configuration, a key derived from the master key, a vault-sealed key).</summary>
public interface IValueHmacKeySource
{
    /// <summary>The HMAC-SHA256 key, at least 32 bytes. It must stay the same for as long as old records should stay matchable.</summary>
    ReadOnlySpan<byte> GetKey();
}
