using System.Text.Json;
using System.Text.Json.Serialization;
using Broker.Core;

namespace Broker.Credentials;

/// <summary>The value of a credential of kind <c>aws</c>. <see cref="ToString"/> never shows the keys.</summary>
public sealed record AwsCredentialValue(
    [property: JsonPropertyName("accessKeyId")] string AccessKeyId,
    [property: JsonPropertyName("secretAccessKey")] string SecretAccessKey,
    [property: JsonPropertyName("roleArn")] string? RoleArn)
{
    public override string ToString() => "AwsCredentialValue { (keys hidden) }";

    /// <summary>Parses and validates an aws value; the error never quotes the value.</summary>
    public static AwsCredentialValue Parse(string value)
    {
        AwsCredentialValue? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<AwsCredentialValue>(value);
        }
        catch (JsonException)
        {
            throw new ValidationException("value", "An aws value must be a JSON object {\"accessKeyId\", \"secretAccessKey\", \"roleArn\"?}.");
        }

        if (parsed is null || string.IsNullOrWhiteSpace(parsed.AccessKeyId) || string.IsNullOrWhiteSpace(parsed.SecretAccessKey))
        {
            throw new ValidationException("value", "An aws value needs non-empty \"accessKeyId\" and \"secretAccessKey\".");
        }

        if (parsed.AccessKeyId.Length > 128 || parsed.SecretAccessKey.Length > 256 || parsed.RoleArn is { Length: > 2048 })
        {
            throw new ValidationException("value", "An aws value's fields are too long.");
        }

        if (parsed.RoleArn is not null && !parsed.RoleArn.StartsWith("arn:", StringComparison.Ordinal))
        {
            throw new ValidationException("value", "\"roleArn\" must be an ARN (arn:...).");
        }

        return parsed;
    }
}
