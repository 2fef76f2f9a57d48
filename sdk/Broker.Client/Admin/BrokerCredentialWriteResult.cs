namespace Broker.Client.Admin;

/// <summary>The answer to a credential write.</summary>
/// <param name="Credential">The credential as stored.</param>
/// <param name="Created">Whether this was its first value (201) rather than a new or unchanged version (200).</param>
public sealed record BrokerCredentialWriteResult(
    BrokerCredentialInfo Credential,
    bool Created);
