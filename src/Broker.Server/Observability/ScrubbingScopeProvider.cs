namespace Broker.Server.Observability;

/// <summary>
/// The logger factory's scope provider as a wrapped provider sees it: scopes are stored as pushed and scrubbed when
/// a sink reads them, so the request id and trace id reach the sink and a secret in a scope does not.
/// </summary>
internal sealed class ScrubbingScopeProvider(IExternalScopeProvider inner) : IExternalScopeProvider
{
    public void ForEachScope<TState>(Action<object?, TState> callback, TState state) =>
        inner.ForEachScope(static (scope, s) => s.Callback(ScrubbedLogState.OfScope(scope), s.State), (Callback: callback, State: state));

    public IDisposable Push(object? state) => inner.Push(state);
}
