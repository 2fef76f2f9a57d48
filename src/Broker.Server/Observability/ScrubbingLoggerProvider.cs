
namespace Broker.Server.Observability;

/// <summary>
/// Wraps a logger provider so every sink sees scrubbed output without losing its shape: the rendered message, the
/// string values of the structured state (the template's key/value pairs reach the sink as state), the values of
/// scopes (request id, trace id) and the text of exceptions pass <see cref="SecretScrubber"/>. Scopes reach a
/// provider that reads them from the logger factory (<see cref="ISupportExternalScope"/>, as the console and
/// OpenTelemetry providers do) as well as one that takes them through <see cref="ILogger.BeginScope{TState}"/>.
/// </summary>
public class ScrubbingLoggerProvider : ILoggerProvider
{
    private ScrubbingLoggerProvider(ILoggerProvider inner) => Inner = inner;

    /// <summary>The wrapped provider.</summary>
    internal ILoggerProvider Inner { get; }

    /// <summary>
    /// A scrubbing wrapper around <paramref name="inner"/>; it supports external scopes exactly when the inner
    /// provider does, because the logger factory then hands scopes to the provider and no longer to its loggers.
    /// </summary>
    public static ScrubbingLoggerProvider Wrap(ILoggerProvider inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return inner is ISupportExternalScope ? new WithExternalScope(inner) : new ScrubbingLoggerProvider(inner);
    }

    /// <summary>
    /// Replaces every registered <see cref="ILoggerProvider"/> with a scrubbing wrapper around it, in place, so the
    /// order of providers is kept; providers already wrapped are left as they are.
    /// </summary>
    public static void WrapAll(IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType == typeof(ILoggerProvider) && !descriptor.IsKeyedService && descriptor.ImplementationFactory?.Target is not Wrapping)
            {
                services[i] = new ServiceDescriptor(typeof(ILoggerProvider), new Wrapping(descriptor).Create, ServiceLifetime.Singleton);
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new ScrubbingLogger(Inner.CreateLogger(categoryName));

    public void Dispose()
    {
        Inner.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class WithExternalScope(ILoggerProvider inner) : ScrubbingLoggerProvider(inner), ISupportExternalScope
    {
        public void SetScopeProvider(IExternalScopeProvider scopeProvider) =>
            ((ISupportExternalScope)Inner).SetScopeProvider(new ScrubbingScopeProvider(scopeProvider));
    }

    /// <summary>The factory of a wrapped registration; its type marks the registration as wrapped.</summary>
    private sealed class Wrapping(ServiceDescriptor descriptor)
    {
        public ILoggerProvider Create(IServiceProvider services) => Wrap((ILoggerProvider)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!)));
    }

    private sealed class ScrubbingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(ScrubbedLogState.OfScope(state) ?? string.Empty);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var scrubbed = new ScrubbedLogState(SecretScrubber.Scrub(formatter(state, exception)), state as IEnumerable<KeyValuePair<string, object?>>);
            inner.Log(logLevel, eventId, scrubbed, ScrubbedException.For(exception), static (s, _) => s.Message);
        }
    }
}
