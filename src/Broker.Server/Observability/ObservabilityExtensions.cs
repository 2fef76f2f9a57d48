using Broker.Server.Hosting;
using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;
using Microsoft.Extensions.Logging.Console;
using Npgsql;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Broker.Server.Observability;

public static class ObservabilityExtensions
{
    public const string OtlpEndpointKey = "Broker:Otlp:Endpoint";

    /// <summary>
    /// Traces (incoming requests, outgoing HTTP such as STS, PostgreSQL commands made while serving a request) and
    /// metrics (requests by route and status, the broker's decisions, denials, mints, revocations, long-poll
    /// waiters). With <c>Broker:Otlp:Endpoint</c> set, traces, metrics and logs are exported over OTLP. Every log
    /// line, whichever provider writes it (console, OTLP, ...), passes the secret scrubber with its scopes (request
    /// id, trace id), its key/value state and its exception kept; data classified <see cref="BrokerTaxonomy.Secret"/>
    /// is erased before any provider sees it.
    /// </summary>
    public static WebApplicationBuilder AddBrokerObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ServerTelemetry>();
        var endpoint = builder.Configuration[OtlpEndpointKey];
        var otlp = string.IsNullOrWhiteSpace(endpoint) ? null : new Uri(endpoint);
        var openTelemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("broker"))
            .WithTracing(t =>
            {
                t.SetSampler(new ParentBasedSampler(new RootSpanSampler()))
                    .AddSource(ServerTelemetry.Name)
                    .AddAspNetCoreInstrumentation(o =>
                    {
                        // The path template, never the query (subject= names a person) in span names.
                        o.RecordException = false;
                    })
                    .AddHttpClientInstrumentation(o => o.RecordException = false)

                    // Command text only (values are always bound parameters); the connection string without its password.
                    .AddNpgsql();
                if (otlp is not null)
                {
                    t.AddOtlpExporter(o => o.Endpoint = otlp);
                }
            })
            .WithMetrics(m =>
            {
                m.AddMeter(ServerTelemetry.Name, "Broker.Client")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation();
                if (otlp is not null)
                {
                    m.AddOtlpExporter(o => o.Endpoint = otlp);
                }
            });
        if (otlp is not null)
        {
            // Registered before WrapAll below, so the OTLP log provider is wrapped by the scrubber like the console; the
            // body is the scrubbed rendered message, the attributes the scrubbed key/value state, scopes included.
            openTelemetry.WithLogging(l => l.AddOtlpExporter(o => o.Endpoint = otlp), o =>
            {
                o.IncludeFormattedMessage = true;
                o.IncludeScopes = true;
            });
        }

        // Classified data in a log call (a [LoggerMessage] parameter, a [LogProperties] member) is redacted before
        // any provider: secrets erased, and any classification without its own redactor erased too.
        builder.Logging.EnableRedaction();
        builder.Services.AddRedaction(r => r
            .SetRedactor<ErasingRedactor>(new DataClassificationSet(BrokerTaxonomy.Secret))
            .SetFallbackRedactor<ErasingRedactor>());

        // The console shows each line's scopes (trace id, request id) unless configured otherwise. Without a formatter
        // name the console provider overwrites the formatter's options with its own legacy ones, so name it.
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName ??= ConsoleFormatterNames.Simple);
        if (builder.Configuration["Logging:Console:FormatterOptions:IncludeScopes"] is null)
        {
            builder.Services.Configure<SimpleConsoleFormatterOptions>(o => o.IncludeScopes = true);
            builder.Services.Configure<JsonConsoleFormatterOptions>(o => o.IncludeScopes = true);
        }

        ScrubbingLoggerProvider.WrapAll(builder.Services);
        return builder;
    }

    public static void StartBrokerObservability(this WebApplication app)
    {
        var telemetry = app.Services.GetRequiredService<ServerTelemetry>();
        var longPolls = app.Services.GetRequiredService<Broker.Credentials.LongPollLimiter>();
        telemetry.ObserveLongPolls(() => longPolls.Waiting);
    }
}
