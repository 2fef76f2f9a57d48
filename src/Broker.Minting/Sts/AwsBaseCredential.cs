namespace Broker.Minting.Sts;

/// <summary>
/// A decrypted <c>aws</c> credential value, <c>{"accessKeyId","secretAccessKey","roleArn"?}</c>: the long-lived keys
/// the broker signs AssumeRole with. Lives only for one call; <see cref="ToString"/> never prints a key.
/// </summary>
public sealed class AwsBaseCredential(string accessKeyId, string secretAccessKey, string? roleArn = null)
{
    public string AccessKeyId { get; } = accessKeyId ?? throw new ArgumentNullException(nameof(accessKeyId));

    public string SecretAccessKey { get; } = secretAccessKey ?? throw new ArgumentNullException(nameof(secretAccessKey));

    /// <summary>The role to assume when the request names none.</summary>
    public string? RoleArn { get; } = roleArn;

    public override string ToString() => "AwsBaseCredential { (keys redacted) }";
}
