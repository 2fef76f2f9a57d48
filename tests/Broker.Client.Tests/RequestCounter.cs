using System.Net;

namespace Broker.Client.Tests;

/// <summary>
/// Counts what a <see cref="BrokerClient"/> sends and receives on the credentials feed, on the client side
/// (<see cref="BrokerClientOptions.HttpMessageHandler"/>), so the same assertions hold against any broker.
/// </summary>
public sealed class RequestCounter : DelegatingHandler
{
    private int _feedRequests;
    private int _longPolls;
    private int _notModified;

    public RequestCounter()
        : base(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) })
    {
    }

    /// <summary>Feed requests sent.</summary>
    public int FeedRequests => Volatile.Read(ref _feedRequests);

    /// <summary>Feed requests sent with <c>wait=</c>.</summary>
    public int LongPolls => Volatile.Read(ref _longPolls);

    /// <summary>Feed answers with 304.</summary>
    public int NotModified => Volatile.Read(ref _notModified);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var feed = request.RequestUri!.AbsolutePath.EndsWith("/v1/agent/credentials", StringComparison.Ordinal);
        if (feed)
        {
            Interlocked.Increment(ref _feedRequests);
            if (request.RequestUri.Query.Contains("wait=", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _longPolls);
            }
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (feed && response.StatusCode == HttpStatusCode.NotModified)
        {
            Interlocked.Increment(ref _notModified);
        }

        return response;
    }
}
