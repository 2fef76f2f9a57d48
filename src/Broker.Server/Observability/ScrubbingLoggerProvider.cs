
namespace Broker.Server.Observability;

/// <summary>
/// Wraps every logger provider so each message (and exception text) passes <see cref="SecretScrubber"/>
/// before any sink sees it.
/// </summary>
public sealed class ScrubbingLoggerProvider(ILoggerProvider inner) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new ScrubbingLogger(inner.CreateLogger(categoryName));

    public void Dispose() => inner.Dispose();

    /// <summary>Replaces every registered <see cref="ILoggerProvider"/> with a scrubbing wrapper around it.</summary>
    public static void WrapAll(IServiceCollection services)
    {
        foreach (var descriptor in services.Where(d => d.ServiceType == typeof(ILoggerProvider) && !d.IsKeyedService).ToArray())
        {
            services.Remove(descriptor);
            services.Add(ServiceDescriptor.Singleton<ILoggerProvider>(sp => new ScrubbingLoggerProvider(Create(sp, descriptor))));
        }

    }

    private static ILoggerProvider Create(IServiceProvider services, ServiceDescriptor descriptor) =>
        (ILoggerProvider)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));

    private sealed class ScrubbingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var message = SecretScrubber.Scrub(formatter(state, exception));
            if (exception is not null)
            {
                // The exception's text may hold what its thrower should not have put there: scrub it too.
                message += Environment.NewLine + SecretScrubber.Scrub(exception.ToString());
            }

            inner.Log(logLevel, eventId, message, null, static (m, _) => m);
        }
    }
}
