namespace Broker.Audit;

/// <summary>Supplies the key of <see cref="AuditValueHmac"/>. The host decides where it comes from (configuration, or sealed in the store).</summary>
public interface IValueHmacKeySource
{
    /// <summary>Whether <see cref="GetKey"/> can answer now. A key given directly always can.</summary>
    bool IsLoaded => true;

    /// <summary>The HMAC-SHA256 key, at least 32 bytes. It must stay the same for as long as old records should stay matchable.</summary>
    ReadOnlySpan<byte> GetKey();

    /// <summary>Loads the key when it comes from elsewhere (the store); completes at once when <see cref="IsLoaded"/>.</summary>
    /// <exception cref="Broker.Core.BrokerOperationException">Unavailable: the key cannot be loaded now.</exception>
    ValueTask LoadAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
