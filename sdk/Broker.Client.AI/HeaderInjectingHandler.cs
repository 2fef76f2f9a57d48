namespace Broker.Client.AI;

/// <summary>
/// Sets the resolved headers on every request of an MCP HTTP transport at send time: the current call's (per-user
/// values included) inside a tool call, else the shared ones read from the cache now, so a rotation applies to the next request.
/// </summary>
internal sealed class HeaderInjectingHandler(CredentialInjector injector) : DelegatingHandler
{
    private static readonly AsyncLocal<IReadOnlyDictionary<string, string>?> Current = new();

    /// <summary>Makes <paramref name="headers"/> the ones sent by requests in this async flow until disposed.</summary>
    public static IDisposable Use(IReadOnlyDictionary<string, string> headers)
    {
        var previous = Current.Value;
        Current.Value = headers;
        return new Restore(previous);
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        foreach (var (name, value) in Current.Value ?? injector.SharedHeaders())
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return base.SendAsync(request, cancellationToken);
    }

    private sealed class Restore(IReadOnlyDictionary<string, string>? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}
