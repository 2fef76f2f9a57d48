namespace Broker.Client;

/// <summary>An immutable snapshot of a <see cref="BrokerClient"/>'s state.</summary>
public class BrokerClientStatus
{
    /// <summary>For mocking. Use <see cref="BrokerModelFactory.BrokerClientStatus"/> in tests.</summary>
    protected BrokerClientStatus()
    {
    }

    internal BrokerClientStatus(bool isReady, DateTimeOffset? lastRefreshed, string? lastError, string? cursor, bool fromDiskCache)
    {
        IsReady = isReady;
        LastRefreshed = lastRefreshed;
        LastError = lastError;
        Cursor = cursor;
        FromDiskCache = fromDiskCache;
    }

    /// <summary>Whether the cache holds a complete set of credentials (from the broker or the disk cache).</summary>
    public virtual bool IsReady { get; }

    /// <summary>When the broker last answered a load or refresh (a 304 included).</summary>
    public virtual DateTimeOffset? LastRefreshed { get; }

    /// <summary>The last failure's message (never a value), or null after a success.</summary>
    public virtual string? LastError { get; }

    /// <summary>The broker's change cursor the cache is at.</summary>
    public virtual string? Cursor { get; }

    /// <summary>Whether the values come from the encrypted disk cache because the broker has not answered yet.</summary>
    public virtual bool FromDiskCache { get; }

    /// <inheritdoc />
    public override string ToString() => $"BrokerClientStatus {{ IsReady = {IsReady}, LastRefreshed = {LastRefreshed:O}, FromDiskCache = {FromDiskCache}, Cursor = {Cursor}, LastError = {LastError} }}";
}
