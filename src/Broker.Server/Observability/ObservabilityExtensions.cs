using Broker.Server.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Broker.Server.Observability;

public static class ObservabilityExtensions
{
    /// <summary>
    /// Traces (incoming requests, outgoing HTTP such as STS) and metrics (requests by route and status, the
    /// broker's decisions, denials, mints, revocations, long-poll waiters). The OTLP exporter is on only when
    /// <c>Broker:Otlp:Endpoint</c> is set. Every log line passes the secret scrubber.
    /// </summary>
    public static WebApplicationBuilder AddBrokerObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<BrokerTelemetry>();
        var endpoint = builder.Configuration["Broker:Otlp:Endpoint"];
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("broker"))
            .WithTracing(t =>
            {
                t.AddSource(BrokerTelemetry.Name)
                    .AddAspNetCoreInstrumentation(o =>
                    {
                        // The path template, never the query (subject= names a person) in span names.
                        o.RecordException = false;
                    })
                    .AddHttpClientInstrumentation(o => o.RecordException = false);
                if (!string.IsNullOrWhiteSpace(endpoint))
                {
                    t.AddOtlpExporter(o => o.Endpoint = new Uri(endpoint));
                }
            })
            .WithMetrics(m =>
            {
                m.AddMeter(BrokerTelemetry.Name, "Broker.Client")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation();
                if (!string.IsNullOrWhiteSpace(endpoint))
                {
                    m.AddOtlpExporter(o => o.Endpoint = new Uri(endpoint));
                }
            });
        ScrubbingLoggerProvider.WrapAll(builder.Services);
        return builder;
    }

    public static void StartBrokerObservability(this WebApplication app)
    {
        var telemetry = app.Services.GetRequiredService<BrokerTelemetry>();
        var longPolls = app.Services.GetRequiredService<LongPollLimiter>();
        telemetry.ObserveLongPolls(() => longPolls.Waiting);
    }
}
