namespace Broker.Client.Admin;

/// <summary>Who acted: all null for a request that never authenticated.</summary>
/// <param name="KeyId">The key's id.</param>
/// <param name="Name">The key's name.</param>
/// <param name="Role">The key's role.</param>
public sealed record BrokerAuditActor(
    string? KeyId,
    string? Name,
    string? Role);
