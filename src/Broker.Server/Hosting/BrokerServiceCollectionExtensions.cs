using System.Text.Json.Serialization;
using Broker.Audit;
using Broker.Credentials;
using Broker.Keys;
using Broker.Minting.Signing;
using Broker.Minting.Sts;
using Broker.Minting.Tokens;
using Broker.Server.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Broker.Vault;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Broker.Server.Hosting;

/// <summary>The composition root: the one place that chooses implementations (store, key-encryption key).</summary>
public static class BrokerServiceCollectionExtensions
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static WebApplicationBuilder AddBroker(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        // Defaults in code: the content root is where the broker was started, which may hold no appsettings.json.
        if (builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] is null)
        {
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        }

        var services = builder.Services;
        services.AddOptions<BrokerOptions>().Bind(builder.Configuration.GetSection(BrokerOptions.Section));
        services.AddSingleton(sp => new BrokerPaths(Path.GetFullPath(sp.GetRequiredService<IOptions<BrokerOptions>>().Value.DataDir)));
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<BrokerOptions>>((k, o) => k.Limits.MaxRequestBodySize = o.Value.MaxRequestBodyBytes);
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new UtcDateTimeOffsetConverter());
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;

            // {"role":"agent","role":"admin"} means what the last parser to read it says: refuse it instead (400).
            o.SerializerOptions.AllowDuplicateProperties = false;
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            // Framework-made problems (404, 405) get the same shape as ours: type, title, status, detail.
            var status = ctx.ProblemDetails.Status ?? ctx.HttpContext.Response.StatusCode;
            if (ctx.ProblemDetails.Type is null || ctx.ProblemDetails.Type.StartsWith("https://tools.ietf.org", StringComparison.Ordinal))
            {
                ctx.ProblemDetails.Type = Problems.TypeFor(status);
            }

            ctx.ProblemDetails.Detail ??= status switch
            {
                404 => "No such route.",
                405 => "This route does not take that method.",
                _ => ctx.ProblemDetails.Title,
            };
        });
        services.AddExceptionHandler<BrokerExceptionHandler>();
        services.AddOpenApi();

        services.AddSingleton(TimeProvider.System);

        // Key-encryption key: Broker:MasterKey when set, else the Data Protection key ring under the data directory.
        services.AddDataProtection().SetApplicationName("Broker");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
            o.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(sp.GetRequiredService<BrokerPaths>().KeyRingDir), sp.GetRequiredService<ILoggerFactory>())));
        services.AddSingleton<IKeyEncryptionKey>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<BrokerOptions>>().Value;
            return string.IsNullOrWhiteSpace(o.MasterKey)
                ? new DataProtectionKeyEncryptionKey(sp.GetRequiredService<IDataProtectionProvider>())
                : MasterKeyEncryptionKey.FromBase64(o.MasterKey);
        });
        services.AddSingleton<EnvelopeEncryption>();

        // Store: Broker:Store = sqlite (default) | postgres; everything store-specific is in StoreRegistration.
        services.AddBrokerStore(builder.Configuration);

        services.AddSingleton<CredentialChangeSignal>();
        services.AddSingleton<CredentialService>();
        services.AddSingleton<KeyAuthenticator>();
        services.AddSingleton<UsageTracker>();
        services.AddSingleton<KeyService>();
        services.AddHostedService<UsageFlushService>();
        services.AddSingleton<LongPollLimiter>();

        // Just in time: tokens (issuer defaults to the first listening URL) and STS from stored aws credentials.
        services.AddBrokerMinting(builder.Configuration);
        services.AddSingleton<IAwsBaseCredentialSource, CredentialStoreAwsSource>();
        var firstUrl = (builder.Configuration["urls"] ?? DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? DefaultUrl;
        services.PostConfigure<TokenOptions>(o => o.Issuer ??= firstUrl);

        // Audit: hash-chained, group-committed; requests that read, mint or change state await durability.
        services.AddBrokerAudit(builder.Configuration);
        // No setting turns it off: bench/Broker.Bench.Host, a separate program, measures what it costs.
        services.TryAddSingleton<IValueHmacKeySource, DataProtectedValueHmacKeySource>();

        services.AddSingleton<RequestAudit>();
        services.AddSingleton<IKeyUsageHistory, AuditKeyUsageHistory>();
        services.AddSingleton<Readiness>();
        return builder;
    }
}
