using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Broker.Server.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Broker.Server.Tests;

/// <summary>
/// Drives every route with known secret values and keys, collecting everything the broker emits: log lines
/// (at Trace level, captured raw, before the scrubbing layer, and as a sink behind it sees them, with scopes, state
/// and exceptions), span names and tags, metric tags, audit records and response bodies; then finds none of the
/// secrets anywhere they must not be.
/// </summary>
public sealed class LeakTests
{
    [Fact]
    public async Task KnownSecretsAndKeys_NeverReachLogsSpansMetricsAuditOrErrorBodies()
    {
        var logs = new ConcurrentQueue<string>();
        var telemetry = new ConcurrentQueue<string>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => telemetry.Enqueue(a.DisplayName + " " + string.Join(" ", a.TagObjects.Select(t => t.Key + "=" + t.Value))),
        };
        ActivitySource.AddActivityListener(activities);
        using var meters = new MeterListener { InstrumentPublished = (i, l) => l.EnableMeasurementEvents(i) };
        meters.SetMeasurementEventCallback<long>((i, _, tags, _) => telemetry.Enqueue(i.Name + " " + string.Join(" ", tags.ToArray().Select(t => t.Key + "=" + t.Value))));
        meters.SetMeasurementEventCallback<double>((i, _, tags, _) => telemetry.Enqueue(i.Name + " " + string.Join(" ", tags.ToArray().Select(t => t.Key + "=" + t.Value))));
        meters.Start();

        var settings = new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace", ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace", ["Broker:Aws:ServiceUrl"] = "http://127.0.0.1:9" };
        using var app = new BrokerApp(settings: settings, services: s =>
        {
            s.AddLogging(b => b.AddFakeLogging());
            ScrubbingLoggerProvider.WrapAll(s);
            s.AddLogging(b => b.AddProvider(new CapturingLoggerProvider(logs)).SetMinimumLevel(LogLevel.Trace));
        });

        var secretValue = "sk-LEAKCHECK-" + Guid.NewGuid().ToString("N");
        var subjectValue = "sk-SUBJECT-" + Guid.NewGuid().ToString("N");
        var awsSecret = "AWSSECRET" + Guid.NewGuid().ToString("N");
        var awsKeyId = "AKIALEAK" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
        var presentedValue = "sk-PRESENTED-" + Guid.NewGuid().ToString("N"); // asked about, never stored
        var errorBodies = new List<string>();
        var allBodies = new List<string>();

        async Task<string> Send(HttpClient client, HttpMethod method, string url, object? body = null)
        {
            using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            allBodies.Add(text);
            if (!response.IsSuccessStatusCode)
            {
                errorBodies.Add(text);
            }

            return text;
        }

        using var admin = app.Admin();
        await Send(admin, HttpMethod.Put, "/v1/credentials/openai_key", new { value = secretValue });
        await Send(admin, HttpMethod.Put, "/v1/credentials/openai_key?subject=alice", new { value = subjectValue });
        await Send(admin, HttpMethod.Put, "/v1/credentials/aws_main", new { kind = "aws", value = $$"""{"accessKeyId":"{{awsKeyId}}","secretAccessKey":"{{awsSecret}}"}""" });
        await Send(admin, HttpMethod.Put, "/v1/credentials/aws_bad", new { kind = "aws", value = awsSecret });          // 400
        await Send(admin, HttpMethod.Put, "/v1/credentials/BAD NAME", new { value = secretValue });                     // 400
        await Send(admin, HttpMethod.Put, "/v1/credentials/big", new { value = secretValue + new string('x', 70_000) }); // 413
        var (agentId, agentKey) = await app.CreateKeyAsync(new { name = "agent-1", role = "agent", credentials = new[] { "*" } });
        var (_, callerKey) = await app.CreateKeyAsync(new { name = "caller-1", role = "caller", agents = new[] { "agent-1" } });
        var (_, leakedKey) = await app.CreateKeyAsync(new { name = "leaky", role = "caller" });

        using var agent = app.ClientWith(agentKey);
        await Send(agent, HttpMethod.Get, "/v1/agent/credentials");
        await Send(agent, HttpMethod.Get, "/v1/agent/credentials/openai_key");
        await Send(agent, HttpMethod.Get, "/v1/agent/credentials/openai_key?subject=alice");
        await Send(agent, HttpMethod.Post, "/v1/tokens", new { audience = "https://api", task = "t1", onBehalfOf = "alice" });
        await Send(agent, HttpMethod.Post, "/v1/tokens", new { audience = "https://api", task = "t1", ttlSeconds = 1 }); // 400
        await Send(agent, HttpMethod.Post, "/v1/sts", new { credential = "aws_main", task = "t1" });                       // 502
        await Send(agent, HttpMethod.Post, "/v1/inbound/verify", new { key = callerKey, agent = "agent-1" });
        await Send(agent, HttpMethod.Post, "/v1/inbound/verify", new { key = callerKey + "x", agent = "agent-1" });
        await Send(agent, HttpMethod.Get, "/v1/credentials");                                                            // 403
        using (var wrong = app.ClientWith(agentKey + "tampered"))
        {
            await Send(wrong, HttpMethod.Get, "/v1/agent/credentials");                                                  // 401
        }

        await Send(admin, HttpMethod.Post, "/v1/keys/revoke-leaked", new { key = leakedKey });
        await Send(admin, HttpMethod.Post, $"/v1/keys/{agentId}/rotate", new { graceSeconds = 5 });
        await Send(admin, HttpMethod.Get, "/v1/keys");
        await Send(admin, HttpMethod.Post, "/v1/audit/value-reads", new { value = secretValue });
        await Send(admin, HttpMethod.Post, "/v1/audit/value-reads", new { value = presentedValue });
        await Send(admin, HttpMethod.Post, "/v1/audit/value-reads", new { value = new[] { presentedValue } });             // 400
        var audit = await Send(admin, HttpMethod.Get, "/v1/audit?limit=1000");
        await Send(admin, HttpMethod.Get, "/v1/audit/verify");
        await Send(admin, HttpMethod.Get, "/v1/credentials");
        await Send(admin, HttpMethod.Get, "/v1/credentials/openai_key");

        // Values and keys that must appear nowhere but in the one response that hands them out.
        var secrets = new[] { secretValue, subjectValue, awsSecret, awsKeyId, agentKey, callerKey, leakedKey, BrokerApp.AdminKey, presentedValue };
        var places = new Dictionary<string, string>
        {
            ["logs"] = string.Join('\n', logs),
            ["log sinks"] = string.Join('\n', app.Services.GetRequiredService<FakeLogCollector>().GetSnapshot().Select(SinkView)),
            ["telemetry"] = string.Join('\n', telemetry),
            ["audit"] = audit,
            ["error bodies"] = string.Join('\n', errorBodies),
        };
        Assert.NotEmpty(logs);
        Assert.NotEmpty(places["log sinks"]);
        Assert.NotEmpty(telemetry);
        foreach (var (place, text) in places)
        {
            foreach (var secret in secrets)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"a known secret reached the {place}");
                Assert.False(text.Contains(secret[^12..], StringComparison.Ordinal), $"a fragment of a known secret reached the {place}");
            }
        }

        // A value-reads question leaves no trace of the value asked about, not even its HMAC (which would find it).
        var presentedHmac = app.Services.GetRequiredService<Broker.Audit.AuditValueHmac>().Compute("default", presentedValue);
        Assert.Contains("\"audit.value_reads\"", audit, StringComparison.Ordinal);
        foreach (var (place, text) in places)
        {
            Assert.False(text.Contains(presentedHmac, StringComparison.Ordinal), $"the HMAC of a presented value reached the {place}");
        }

        // Lists and descriptions never carry values either.
        foreach (var body in allBodies.Where(b => b.Contains("\"items\"", StringComparison.Ordinal) || b.Contains("\"versions\"", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(secretValue, body, StringComparison.Ordinal);
            Assert.DoesNotContain(agentKey, body, StringComparison.Ordinal);
        }

    }

    private static string SinkView(FakeLogRecord r) =>
        string.Join(" ", new[] { r.Category, r.Message, r.Exception?.ToString() }
            .Concat(r.StructuredState?.Select(p => p.Key + "=" + p.Value) ?? [])
            .Concat(r.Scopes.Select(s => s is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => p.Key + "=" + p.Value)) : s?.ToString())));

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, sink);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull
            {
                sink.Enqueue("scope " + state);
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => p.Key + "=" + p.Value)) : "";
                sink.Enqueue($"{category} {formatter(state, exception)} {structured} {exception}");
            }
        }
    }
}
