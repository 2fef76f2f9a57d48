namespace Broker.Minting.Sts;

/// <summary>The answer of <c>POST /v1/sts</c>: temporary session credentials.</summary>
public sealed record StsResult(string AccessKeyId, string SecretAccessKey, string SessionToken, DateTimeOffset Expiration, string AssumedRoleArn)
{
    /// <summary>Never prints a key or the session token.</summary>
    public override string ToString() => $"StsResult {{ AssumedRoleArn = {AssumedRoleArn}, Expiration = {Expiration:O} }}";
}
