namespace Broker.Client.Internal;

/// <summary>One answer of the credentials feed: a change set with its ETag, or nothing new (304).</summary>
internal sealed class FeedPage
{
    public static readonly FeedPage NotModified = new(null, null);

    public FeedPage(FeedDto? feed, string? etag)
    {
        Feed = feed;
        ETag = etag;
    }

    /// <summary>The change set; null when the broker answered 304.</summary>
    public FeedDto? Feed { get; }

    public string? ETag { get; }
}
