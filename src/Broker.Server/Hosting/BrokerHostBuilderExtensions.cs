using System.Text.Json.Serialization;
using Broker.Audit;
using Broker.Credentials;
using Broker.Minting.Sts;
using Broker.Minting.Tokens;
using Broker.Server.Adapters;
using Broker.Server.Observability;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Broker.Server.Hosting;

/// <summary>
/// The composition root: the one place that chooses implementations (store, key-encryption key). Host concerns
/// (Kestrel, JSON, problem details, OpenAPI, health) are set up here; each capability registers itself
/// (<c>AddBrokerXxx</c> in its own project) and the host adds only its adapters between them.
/// </summary>
public static class BrokerHostBuilderExtensions
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
        services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecurityTransformer>().AddOperationTransformer<BearerSecurityTransformer>());

        services.AddSingleton(TimeProvider.System);
        services.AddHealthChecks();

        // Vault. Key-encryption key: Broker:Kek:Provider=azure-keyvault for a Key Vault secret, else Broker:MasterKey when
        // set, else the Data Protection key ring under the data directory.
        services.AddBrokerVault();
        services.AddBrokerAzureKeyVault(builder.Configuration);
        var masterKey = builder.Configuration[$"{BrokerOptions.Section}:{nameof(BrokerOptions.MasterKey)}"];
        if (KekProvider(builder.Configuration) == AzureKeyVaultKekProvider)
        {
            services.AddBrokerAzureKeyVaultKek(builder.Configuration);

            // The key ring stays only for what else it keeps (the earlier value-HMAC key that seeds the store once), never the KEK.
            services.AddBrokerDataProtectionKek(sp => sp.GetRequiredService<BrokerPaths>().KeyRingDir);
        }
        else if (string.IsNullOrWhiteSpace(masterKey))
        {
            services.AddBrokerDataProtectionKek(sp => sp.GetRequiredService<BrokerPaths>().KeyRingDir);
        }
        else
        {
            services.AddBrokerMasterKeyKek(masterKey);
        }

        // Store: Broker:Store = sqlite (default) | postgres; everything store-specific is in StoreRegistration.
        services.AddBrokerStore(builder.Configuration);

        services.AddBrokerCredentials();
        services.AddOptions<AgentFeedOptions>().Bind(builder.Configuration.GetSection(BrokerOptions.Section))
            .Validate(o => o.MaxLongPollsPerKey >= 1 && o.MaxLongPolls >= 1, "Broker:MaxLongPollsPerKey and Broker:MaxLongPolls must be at least 1.").ValidateOnStart();
        services.AddBrokerAzureKeyVaultSync(builder.Configuration); // credentials sourced from Key Vault secrets
        services.AddBrokerKeys();
        services.AddBrokerIdentity(); // trusted issuers, proof of the user (API.md v1.1 "Acting for a user")

        // Failed authentications: throttled and summarized per client address (Broker:Authentication).
        services.AddOptions<AuthenticationFailureOptions>().Bind(builder.Configuration.GetSection(AuthenticationFailureOptions.Section))
            .Validate(o => o.FailureBudget >= 1 && o.Window > TimeSpan.Zero && o.MaxTrackedClients >= 1,
                "Broker:Authentication needs FailureBudget >= 1, a positive Window and MaxTrackedClients >= 1.")
            .ValidateOnStart();
        services.AddSingleton<AuthenticationFailureTracker>();
        services.AddSingleton<IStartupFilter, TrustedProxiesStartupFilter>(); // X-Forwarded-For only from Broker:TrustedProxies

        // Just in time: tokens (issuer defaults to the first listening URL) and STS from stored aws credentials.
        services.AddBrokerMinting(builder.Configuration);
        services.AddBrokerApprovals(builder.Configuration); // human approval of high-risk requests, docs/approvals.md
        services.AddSingleton<IAwsBaseCredentialSource, CredentialStoreAwsSource>();
        var defaultIssuer = ListenUrl.DefaultIssuer(builder.Configuration["urls"] ?? DefaultUrl);
        services.PostConfigure<TokenOptions>(o => o.Issuer ??= defaultIssuer);

        // Audit: hash-chained, group-committed; requests that read, mint or change state await durability.
        services.AddBrokerAudit(builder.Configuration);
        services.AddBrokerAuditProof(builder.Configuration); // signed checkpoints, docs/audit.md
        services.AddBrokerAuditRetention(builder.Configuration); // archive and prune, docs/audit.md "Retention"

        // Without Broker:Audit:ValueHmacKey the value-HMAC key is kept sealed in the store; a broker that kept it under the
        // Data Protection key ring before seeds the store with it once. No setting turns the HMAC off: bench/Broker.Bench.Host,
        // a separate program, measures what it costs.
        services.TryAddSingleton<IValueHmacKeySeed, DataProtectedValueHmacKeySeed>();

        services.AddSingleton<RequestAudit>();
        services.AddSingleton<IDecisionObserver, TelemetryDecisionObserver>();
        services.AddSingleton<IQuestionLimiter, UsageQuestionLimiter>();
        services.AddSingleton<ValueReads>(); // needs the question limiter, which only the host can give
        services.AddHostedService<AuthenticationFailureAuditService>(); // after the audit writer, so it stops (and flushes) first
        return builder;
    }

    /// <summary>The value of <c>Broker:Kek:Provider</c> that keeps the key-encryption key in Azure Key Vault.</summary>
    public const string AzureKeyVaultKekProvider = "azure-keyvault";

    /// <summary><c>Broker:Kek:Provider</c>: <c>azure-keyvault</c>, or unset for the master key or the Data Protection key ring.</summary>
    private static string? KekProvider(IConfiguration configuration)
    {
        var provider = configuration[$"{BrokerOptions.Section}:Kek:Provider"]?.Trim().ToLowerInvariant();
        return provider switch
        {
            null or "" or "default" => null,
            AzureKeyVaultKekProvider => provider,
            _ => throw new InvalidOperationException($"Broker:Kek:Provider must be '{AzureKeyVaultKekProvider}' or unset."),
        };
    }
}
