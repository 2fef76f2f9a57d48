namespace Broker.Client;

/// <summary>Short-lived AWS STS session credentials obtained through the broker. Immutable.</summary>
/// <remarks><see cref="ToString"/> never shows the secret key or session token, nor the access key id.</remarks>
public class AwsSessionCredentials
{
    /// <summary>For mocking. Use <see cref="BrokerModelFactory.AwsSessionCredentials"/> in tests.</summary>
    protected AwsSessionCredentials()
    {
        AccessKeyId = string.Empty;
        SecretAccessKey = string.Empty;
        SessionToken = string.Empty;
        AssumedRoleArn = string.Empty;
    }

    internal AwsSessionCredentials(string accessKeyId, string secretAccessKey, string sessionToken, DateTimeOffset expiration, string assumedRoleArn)
    {
        AccessKeyId = accessKeyId;
        SecretAccessKey = secretAccessKey;
        SessionToken = sessionToken;
        Expiration = expiration;
        AssumedRoleArn = assumedRoleArn;
    }

    /// <summary>The temporary access key id.</summary>
    public virtual string AccessKeyId { get; }

    /// <summary>The temporary secret access key. Never log it.</summary>
    public virtual string SecretAccessKey { get; }

    /// <summary>The session token. Never log it.</summary>
    public virtual string SessionToken { get; }

    /// <summary>When the credentials expire.</summary>
    public virtual DateTimeOffset Expiration { get; }

    /// <summary>The ARN of the assumed role session.</summary>
    public virtual string AssumedRoleArn { get; }

    /// <summary>Describes the credentials without any key material.</summary>
    public override string ToString() => $"AwsSessionCredentials {{ AssumedRoleArn = {AssumedRoleArn}, Expiration = {Expiration:O}, AccessKeyId = ***, SecretAccessKey = ***, SessionToken = *** }}";
}
