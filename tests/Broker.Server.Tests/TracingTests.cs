using System.Collections.Concurrent;
using System.Diagnostics;
using Broker.Server.Observability;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Broker.Server.Tests;

/// <summary>The broker's tracer: PostgreSQL commands under the request that made them; no root span per background poll.</summary>
public sealed class TracingTests
{
    [Fact]
    public void Sampler_DropsClientSpansWithoutAParent_AndKeepsRequestsAndTheirChildren()
    {
        var sampler = new ParentBasedSampler(new RootSpanSampler());
        var sampledParent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

        Assert.Equal(SamplingDecision.Drop, Decide(sampler, default, ActivityKind.Client));
        Assert.Equal(SamplingDecision.RecordAndSample, Decide(sampler, default, ActivityKind.Server));
        Assert.Equal(SamplingDecision.RecordAndSample, Decide(sampler, default, ActivityKind.Internal));
        Assert.Equal(SamplingDecision.RecordAndSample, Decide(sampler, sampledParent, ActivityKind.Client));
    }

    [PostgresFact]
    public async Task StoreCommands_WhileServingARequest_AreTracedAsChildrenOfTheRequestSpan()
    {
        var baseString = PostgresFactAttribute.ConnectionString
            ?? throw new InvalidOperationException($"CI=true but {PostgresFactAttribute.Variable} is not set.");
        var schema = "t_" + Guid.NewGuid().ToString("n");
        await ExecuteAsync(baseString, $"CREATE SCHEMA \"{schema}\"");
        try
        {
            var spans = new ConcurrentQueue<Activity>();
            var requestEnded = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);

            // Activity listeners are process-wide: other tests' hosts end server spans for the same path here too.
            // The request carries its own trace id, so only its spans count.
            var traceId = ActivityTraceId.CreateRandom();
            var settings = new Dictionary<string, string?>
            {
                ["Broker:Store"] = "postgres",
                ["ConnectionStrings:Broker"] = new NpgsqlConnectionStringBuilder(baseString) { SearchPath = schema }.ConnectionString,
            };
            using (var app = new BrokerApp(settings: settings, services: s => s.ConfigureOpenTelemetryTracerProvider(b => b.AddProcessor(new Capture(spans, requestEnded, traceId)))))
            {
                using var admin = app.Admin();
                using var message = new HttpRequestMessage(HttpMethod.Get, "/v1/credentials");
                message.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
                using var response = await admin.SendAsync(message);
                response.EnsureSuccessStatusCode();

                // The server span ends after the response is written.
                var request = await requestEnded.Task.WaitAsync(TimeSpan.FromSeconds(30));
                var store = spans.Where(a => a.Source.Name == "Npgsql" && a.TraceId == request.TraceId).ToList();
                Assert.NotEmpty(store);
                Assert.All(store, a =>
                {
                    Assert.Equal(ActivityKind.Client, a.Kind);
                    Assert.DoesNotContain("password", a.GetTagItem("db.connection_string") as string ?? "", StringComparison.OrdinalIgnoreCase);
                });
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(baseString, $"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        }
    }

    private static SamplingDecision Decide(Sampler sampler, ActivityContext parent, ActivityKind kind) =>
        sampler.ShouldSample(new SamplingParameters(parent, ActivityTraceId.CreateRandom(), "span", kind)).Decision;

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();

        // The schema name is ours (a GUID), not input; identifiers cannot be bound parameters.
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private sealed class Capture(ConcurrentQueue<Activity> spans, TaskCompletionSource<Activity> requestEnded, ActivityTraceId traceId) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data)
        {
            spans.Enqueue(data);
            if (data.Kind == ActivityKind.Server && data.TraceId == traceId)
            {
                requestEnded.TrySetResult(data);
            }
        }
    }
}
