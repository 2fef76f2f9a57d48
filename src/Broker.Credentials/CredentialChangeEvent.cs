namespace Broker.Credentials;

/// <summary>One change of a shared value, and the link to the next change.</summary>
public sealed record CredentialChangeEvent(long Cursor, string Name, Task<CredentialChangeEvent> Next);
