namespace Broker.Credentials;

public sealed record CredentialVersionInfo(int Version, DateTimeOffset CreatedAt);
