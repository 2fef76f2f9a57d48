using Microsoft.Extensions.Logging;

namespace Broker.Client.Internal;

/// <summary>
/// Hands out loggers that write to whichever <see cref="ILoggerFactory"/> is attached at the time of each call.
/// </summary>
/// <remarks>
/// The client that <c>AddBrokerCredentials</c> creates exists before the host's logging does (configuration is
/// built first); <c>AddBrokerClient</c> attaches the host's factory to it when the host starts, and every logger
/// handed out earlier follows.
/// </remarks>
internal sealed class LateBoundLoggerFactory
{
    private ILoggerFactory? _factory;

    public LateBoundLoggerFactory(ILoggerFactory? factory) => _factory = factory;

    public ILoggerFactory? Current => Volatile.Read(ref _factory);

    /// <summary>Attaches <paramref name="factory"/> unless one is attached already (the options' factory wins).</summary>
    public bool TryAttach(ILoggerFactory factory) => Interlocked.CompareExchange(ref _factory, factory, null) is null;

    /// <summary>Detaches <paramref name="factory"/> if it is the one attached (a host's factory is disposed with the host).</summary>
    public void Detach(ILoggerFactory factory) => Interlocked.CompareExchange(ref _factory, null, factory);

    public ILogger CreateLogger<T>() => new LateBoundLogger(this, typeof(T).FullName ?? typeof(T).Name);

    private sealed class LateBoundLogger(LateBoundLoggerFactory owner, string category) : ILogger
    {
        private Bound? _bound;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => Current()?.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => Current()?.IsEnabled(logLevel) ?? false;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Current()?.Log(logLevel, eventId, state, exception, formatter);

        private ILogger? Current()
        {
            var factory = owner.Current;
            if (factory is null)
            {
                return null;
            }

            var bound = Volatile.Read(ref _bound);
            if (bound is null || !ReferenceEquals(bound.Factory, factory))
            {
                try
                {
                    bound = new Bound(factory, factory.CreateLogger(category));
                }
                catch (ObjectDisposedException)
                {
                    return null;
                }

                Volatile.Write(ref _bound, bound);
            }

            return bound.Logger;
        }

        private sealed record Bound(ILoggerFactory Factory, ILogger Logger);
    }
}
