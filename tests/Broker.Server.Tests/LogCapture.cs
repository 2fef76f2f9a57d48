using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Broker.Server.Tests;

/// <summary>Collects every log line raw (message, structured values, exception), before any scrubbing.</summary>
internal sealed class LogCapture(ConcurrentQueue<string> sink) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, sink);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => p.Key + "=" + p.Value)) : "";
            sink.Enqueue($"{logLevel} {category} {formatter(state, exception)} {structured} {exception}");
        }
    }
}
