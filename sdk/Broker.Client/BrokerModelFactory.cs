namespace Broker.Client;

/// <summary>Builds the SDK's result types for tests and mocks.</summary>
public static class BrokerModelFactory
{
    /// <summary>Creates a <see cref="Client.BrokerCredential"/>.</summary>
    public static BrokerCredential BrokerCredential(string name = "", string kind = "generic", int version = 1, string value = "", DateTimeOffset updatedAt = default)
        => new(name, kind, version, value, updatedAt);

    /// <summary>Creates a <see cref="Client.BrokerToken"/>.</summary>
    public static BrokerToken BrokerToken(string token = "", string tokenType = "Bearer", DateTimeOffset expiresAt = default, string jti = "")
        => new(token, tokenType, expiresAt, jti);

    /// <summary>Creates <see cref="Client.AwsSessionCredentials"/>.</summary>
    public static AwsSessionCredentials AwsSessionCredentials(string accessKeyId = "", string secretAccessKey = "", string sessionToken = "", DateTimeOffset expiration = default, string assumedRoleArn = "")
        => new(accessKeyId, secretAccessKey, sessionToken, expiration, assumedRoleArn);

    /// <summary>Creates an <see cref="Client.InboundKeyResult"/>.</summary>
    public static InboundKeyResult InboundKeyResult(bool isValid = false, InboundKeyFailure reason = InboundKeyFailure.None, string? keyId = null, string? name = null, string? tenant = null)
        => new(isValid, reason, keyId, name, tenant);

    /// <summary>Creates a <see cref="Client.BrokerClientStatus"/>.</summary>
    public static BrokerClientStatus BrokerClientStatus(bool isReady = false, DateTimeOffset? lastRefreshed = null, string? lastError = null, string? cursor = null, bool fromDiskCache = false)
        => new(isReady, lastRefreshed, lastError, cursor, fromDiskCache);

    /// <summary>Creates <see cref="Client.CredentialsChangedEventArgs"/>.</summary>
    public static CredentialsChangedEventArgs CredentialsChangedEventArgs(IReadOnlyList<string>? changed = null, IReadOnlyList<string>? removed = null)
        => new(changed ?? Array.Empty<string>(), removed ?? Array.Empty<string>());
}
