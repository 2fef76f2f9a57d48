using System.Collections.Frozen;

namespace Broker.Client.Internal;

/// <summary>One immutable view of the cache, swapped whole so readers never lock.</summary>
internal sealed class CacheState
{
    public static readonly CacheState Empty = new(FrozenDictionary<string, BrokerCredential>.Empty, null, null);

    public CacheState(FrozenDictionary<string, BrokerCredential> credentials, string? cursor, string? etag)
    {
        Credentials = credentials;
        Cursor = cursor;
        ETag = etag;
    }

    public FrozenDictionary<string, BrokerCredential> Credentials { get; }

    public string? Cursor { get; }

    public string? ETag { get; }
}
