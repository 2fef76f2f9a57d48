using System.Runtime.CompilerServices;
using Broker.Server.Observability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using OpenTelemetry.Logs;

namespace Broker.Server.Tests;

/// <summary>
/// What a log sink behind the scrubbing layer receives: the scopes of the request (request id, trace id), the
/// template's key/value pairs, exceptions as exceptions, and nothing the scrubber or the redactor must remove.
/// The fake sink is wrapped by the scrubber exactly as the console and OTLP providers are.
/// </summary>
public sealed partial class LoggingTests
{
    private const string PresentedKey = "brk_LOGTEST0abc-def_ghijklmnopqrstuvwxyz0123";

    [Fact]
    public async Task RequestLogLines_CarryTheRequestIdAndTraceIdScopes()
    {
        using var app = AppWithFakeSink(new() { ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information" });
        var collector = app.Services.GetRequiredService<FakeLogCollector>();
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/healthz");

        response.EnsureSuccessStatusCode();
        var line = collector.GetSnapshot().First(r => r.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && r.Message.Contains("/healthz", StringComparison.Ordinal));
        var scopes = ScopePairs(line);
        Assert.False(string.IsNullOrEmpty(Assert.Single(scopes, p => p.Key == "RequestId").Value?.ToString()));
        Assert.Equal("/healthz", Assert.Single(scopes, p => p.Key == "RequestPath").Value);
        var traceId = Assert.Single(scopes, p => p.Key == "TraceId").Value?.ToString();
        Assert.Matches("^[0-9a-f]{32}$", traceId);
    }

    [Fact]
    public void Console_ShowsScopes_UnlessConfiguredOtherwise()
    {
        using var app = new BrokerApp();
        using var quiet = new BrokerApp(settings: new() { ["Logging:Console:FormatterOptions:IncludeScopes"] = "false" });

        Assert.Equal(ConsoleFormatterNames.Simple, app.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        Assert.True(app.Services.GetRequiredService<IOptionsMonitor<SimpleConsoleFormatterOptions>>().CurrentValue.IncludeScopes);
        Assert.False(quiet.Services.GetRequiredService<IOptionsMonitor<SimpleConsoleFormatterOptions>>().CurrentValue.IncludeScopes);
    }

    [Fact]
    public void TemplateParameters_ReachTheSinkAsKeyValuePairs_WithTextValuesScrubbed()
    {
        using var app = AppWithFakeSink();
        var (logger, collector) = LoggerAndCollector(app);

        logger.LogInformation("Stored {Credential} version {Version} for key {Key}", "openai_key", 3, PresentedKey);

        var line = LastOfTheTest(collector);
        Assert.Equal("openai_key", line.GetStructuredStateValue("Credential"));
        Assert.Equal("3", line.GetStructuredStateValue("Version"));
        Assert.Equal("Stored {Credential} version {Version} for key {Key}", line.GetStructuredStateValue("{OriginalFormat}"));
        Assert.Equal(PresentedKey[..12] + "…[REDACTED]", line.GetStructuredStateValue("Key"));
        Assert.DoesNotContain(PresentedKey[12..], line.Message, StringComparison.Ordinal);
        Assert.StartsWith("Stored openai_key version 3 for key " + PresentedKey[..12], line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StructuredState_KeepsTheTypeOfNonTextValues()
    {
        var sink = new StateSink();
        using var provider = ScrubbingLoggerProvider.Wrap(sink);

        provider.CreateLogger("Broker.Tests").LogInformation("Version {Version} at {At} for {Key}", 3, DateTimeOffset.UnixEpoch, PresentedKey);

        var pairs = sink.Last!.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(3, pairs["Version"]);
        Assert.Equal(DateTimeOffset.UnixEpoch, pairs["At"]);
        Assert.Equal(PresentedKey[..12] + "…[REDACTED]", pairs["Key"]);
    }

    [Fact]
    public void LoggedException_ReachesTheSinkAsItself_WithItsTypeAndStack()
    {
        using var app = AppWithFakeSink();
        var (logger, collector) = LoggerAndCollector(app);
        var thrown = Capture(() => ThrowStoreFailure("the store is read-only"));

        logger.LogError(thrown, "Writing failed");

        var logged = LastOfTheTest(collector).Exception;
        Assert.Same(thrown, logged);
        Assert.Contains(nameof(ThrowStoreFailure), logged!.StackTrace, StringComparison.Ordinal);
        Assert.Equal("Writing failed", LastOfTheTest(collector).Message);
    }

    [Fact]
    public void LoggedException_WithASecretInItsText_ReachesTheSinkScrubbed_KeepingTypeAndStack()
    {
        using var app = AppWithFakeSink();
        var (logger, collector) = LoggerAndCollector(app);
        var inner = new FormatException("header was Bearer " + PresentedKey);
        var thrown = Capture(() => ThrowStoreFailure("key " + PresentedKey + " was refused", inner));

        logger.LogError(thrown, "Writing failed");

        var logged = Assert.IsType<ScrubbedException>(LastOfTheTest(collector).Exception);
        Assert.Equal(typeof(InvalidOperationException).FullName, logged.OriginalType);
        Assert.Equal(thrown.StackTrace, logged.StackTrace);
        Assert.Contains(nameof(ThrowStoreFailure), logged.StackTrace, StringComparison.Ordinal);
        Assert.StartsWith(typeof(InvalidOperationException).FullName + ": key " + PresentedKey[..12], logged.ToString(), StringComparison.Ordinal);
        Assert.Contains(nameof(ThrowStoreFailure), logged.ToString(), StringComparison.Ordinal);
        Assert.Equal(thrown.HResult, logged.HResult);
        var loggedInner = Assert.IsType<ScrubbedException>(logged.InnerException);
        Assert.Equal(typeof(FormatException).FullName, loggedInner.OriginalType);
        foreach (var text in new[] { logged.Message, logged.ToString(), loggedInner.Message, loggedInner.ToString() })
        {
            Assert.DoesNotContain(PresentedKey[12..], text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ScopeWithASecret_ReachesTheSinkScrubbed()
    {
        using var app = AppWithFakeSink();
        var (logger, collector) = LoggerAndCollector(app);

        using (logger.BeginScope(new Dictionary<string, object?> { ["Presented"] = PresentedKey, ["Attempt"] = 2 }))
        {
            logger.LogInformation("Checked");
        }

        var scopes = ScopePairs(LastOfTheTest(collector));
        Assert.Equal(PresentedKey[..12] + "…[REDACTED]", Assert.Single(scopes, p => p.Key == "Presented").Value);
        Assert.Equal(2, Assert.Single(scopes, p => p.Key == "Attempt").Value);
    }

    [Fact]
    public void SecretClassifiedParameter_IsErasedBeforeAnySink()
    {
        using var app = AppWithFakeSink();
        var (logger, collector) = LoggerAndCollector(app);
        var value = "sk-CLASSIFIED-" + Guid.NewGuid().ToString("N");

        LogValueChecked(logger, "openai_key", value);

        var line = LastOfTheTest(collector);
        Assert.Equal("openai_key", line.GetStructuredStateValue("Credential"));
        Assert.Equal(string.Empty, line.GetStructuredStateValue("Value"));
        Assert.DoesNotContain(value, line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, string.Join(" ", line.StructuredState!.Select(p => p.Value)), StringComparison.Ordinal);
    }

    [Fact]
    public void OtlpEndpoint_AddsTheOpenTelemetryLogProvider_BehindTheScrubber()
    {
        using var app = new BrokerApp(settings: new() { [ObservabilityExtensions.OtlpEndpointKey] = "http://127.0.0.1:9" });

        var providers = app.Services.GetServices<ILoggerProvider>().ToArray();

        Assert.NotEmpty(providers);
        Assert.All(providers, p => Assert.IsAssignableFrom<ScrubbingLoggerProvider>(p));
        Assert.Single(providers, p => ((ScrubbingLoggerProvider)p).Inner is OpenTelemetryLoggerProvider);
    }

    [Fact]
    public void WithoutOtlpEndpoint_EveryProviderIsBehindTheScrubber_AndNoneExportsOverOtlp()
    {
        using var app = new BrokerApp();

        var providers = app.Services.GetServices<ILoggerProvider>().ToArray();

        Assert.NotEmpty(providers);
        Assert.All(providers, p => Assert.IsAssignableFrom<ScrubbingLoggerProvider>(p));
        Assert.DoesNotContain(providers, p => ((ScrubbingLoggerProvider)p).Inner is OpenTelemetryLoggerProvider);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Checked {Credential} against {Value}")]
    private static partial void LogValueChecked(ILogger logger, string credential, [SecretData] string value);

    /// <summary>A broker whose fake log sink is added like any provider and then wrapped by the scrubber.</summary>
    private static BrokerApp AppWithFakeSink(Dictionary<string, string?>? settings = null) => new(settings: settings, services: s =>
    {
        s.AddLogging(b => b.AddFakeLogging());
        ScrubbingLoggerProvider.WrapAll(s);
    });

    private static (ILogger Logger, FakeLogCollector Collector) LoggerAndCollector(BrokerApp app) =>
        (app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Broker.Tests"), app.Services.GetRequiredService<FakeLogCollector>());

    /// <summary>
    /// The test's own latest record: the broker's background services (signing keys, audit checkpoints) log into the
    /// same collector at any time, so "the latest record" alone is a race.
    /// </summary>
    private static FakeLogRecord LastOfTheTest(FakeLogCollector collector) => collector.GetSnapshot().Last(r => r.Category == "Broker.Tests");

    private static List<KeyValuePair<string, object?>> ScopePairs(FakeLogRecord record) =>
        record.Scopes.OfType<IEnumerable<KeyValuePair<string, object?>>>().SelectMany(s => s).ToList();

    /// <summary>Keeps the last state exactly as the scrubbing layer handed it on.</summary>
    private sealed class StateSink : ILoggerProvider, ILogger
    {
        public IReadOnlyList<KeyValuePair<string, object?>>? Last { get; private set; }

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Last = Assert.IsAssignableFrom<IReadOnlyList<KeyValuePair<string, object?>>>(state);

        public void Dispose()
        {
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowStoreFailure(string message, Exception? inner = null) => throw new InvalidOperationException(message, inner);

    private static Exception Capture(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            return ex;
        }

        throw new InvalidOperationException("nothing was thrown");
    }
}
