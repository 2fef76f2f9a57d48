namespace Broker.Client.Internal;

/// <summary>What applying one feed answer did to the cache.</summary>
internal readonly record struct CacheUpdate(CacheState State, IReadOnlyList<string>? Changed, IReadOnlyList<string>? Removed)
{
    public bool HasChanges => Changed is not null || Removed is not null;
}
