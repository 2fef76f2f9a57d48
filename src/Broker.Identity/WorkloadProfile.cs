namespace Broker.Identity;

/// <summary>
/// A workload identity a tenant lets in without a static secret: tokens of trusted issuer <see cref="Issuer"/> whose
/// subject matches <see cref="SubjectPattern"/> and whose claims match <see cref="Claims"/> are exchanged for an agent
/// key (named after the subject, with <see cref="Key"/>'s fields) that lives <see cref="TtlSeconds"/>.
/// <see cref="Id"/> tells a profile from a later one of the same name.
/// </summary>
public sealed record WorkloadProfile(
    string Id,
    string Tenant,
    string Name,
    string Issuer,
    string SubjectPattern,
    IReadOnlyDictionary<string, string> Claims,
    WorkloadKeyFields Key,
    int TtlSeconds,
    DateTimeOffset CreatedAt);
