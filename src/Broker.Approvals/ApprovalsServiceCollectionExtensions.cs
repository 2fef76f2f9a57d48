using Broker.Approvals;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class ApprovalsServiceCollectionExtensions
{
    /// <summary>
    /// Registers human approval: <see cref="ApprovalDesk"/>, its <see cref="ApprovalSignal"/>, and the webhook sender
    /// (a hosted service with a resilient HttpClient), the recording of expiries and the pruning of expired approvals, with options from <c>Broker:Approvals</c>. The host must also
    /// register an <see cref="IApprovalStore"/>.
    /// </summary>
    public static IServiceCollection AddBrokerApprovals(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ApprovalOptions>().Bind(configuration.GetSection(ApprovalOptions.SectionName))
            .Validate(o => o.Ttl > TimeSpan.Zero, "Broker:Approvals:Ttl must be positive.")
            .Validate(o => o.Retention >= TimeSpan.Zero, "Broker:Approvals:Retention must not be negative.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApprovalSignal>();
        services.TryAddSingleton<ApprovalWebhook>();
        services.AddHostedService(sp => sp.GetRequiredService<ApprovalWebhook>());
        services.TryAddSingleton<ApprovalDesk>();
        services.AddHostedService<ApprovalPruneService>();
        services.AddHostedService<ApprovalExpiryService>();
        // No factory request logging: it writes the URL, and a webhook URL (Slack, Teams) is itself a secret.
        services.AddHttpClient(ApprovalWebhook.HttpClientName).RemoveAllLoggers().AddStandardResilienceHandler();
        return services;
    }
}
