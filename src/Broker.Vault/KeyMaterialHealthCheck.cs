using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Broker.Vault;

/// <summary>
/// Readiness of the key material: unhealthy until the start has proved that the key-encryption key opens the
/// store (<see cref="KeyEncryptionKeyCheck"/>), and for good when that failed. The description is the problem a
/// reader can act on; it never holds key material.
/// </summary>
public sealed class KeyMaterialHealthCheck : IHealthCheck
{
    /// <summary>The name this check is registered under.</summary>
    public const string Name = "key-material";

    private volatile string? _problem = "The broker has not finished starting.";

    /// <summary>Whether the key-encryption key has opened the store.</summary>
    public bool IsReady => _problem is null;

    /// <summary>The key-encryption key opened the store.</summary>
    public void Ready() => _problem = null;

    /// <summary>The key-encryption key did not open the store, for the reason given.</summary>
    public void Failed(string problem) => _problem = problem;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_problem is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy());
}
