namespace Broker.Client.Admin;

/// <summary>One version of a credential.</summary>
/// <param name="Version">The version.</param>
/// <param name="CreatedAt">When it was stored.</param>
public sealed record BrokerCredentialVersion(
    int Version,
    DateTimeOffset CreatedAt);
