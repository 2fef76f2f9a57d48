namespace Broker.Identity;

/// <summary>
/// The body of <c>POST /v1/workload-profiles</c>: <see cref="Issuer"/> names a trusted issuer of use
/// <c>workloads</c>; <see cref="Subject"/> and the values of <see cref="Claims"/> are <c>*</c> patterns.
/// </summary>
public sealed record CreateWorkloadProfileRequest(
    string? Name,
    string? Issuer,
    string? Subject,
    IReadOnlyDictionary<string, string>? Claims,
    WorkloadKeyFields? Key,
    int? TtlSeconds);
