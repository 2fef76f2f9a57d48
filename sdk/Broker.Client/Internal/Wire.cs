using System.Text.Json;
using System.Text.Json.Serialization;

namespace Broker.Client.Internal;

internal static class Wire
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

internal sealed class CredentialDto
{
    public string Name { get; set; } = string.Empty;
    public string? Kind { get; set; }
    public int Version { get; set; }
    public string Value { get; set; } = string.Empty;
    public DateTimeOffset UpdatedAt { get; set; }

    public BrokerCredential ToModel() => new(Name, Kind ?? "generic", Version, Value, UpdatedAt);
}

internal sealed class FeedDto
{
    public string? Cursor { get; set; }
    public List<CredentialDto>? Credentials { get; set; }
    public List<string>? Removed { get; set; }
}

internal sealed class TokenRequestDto
{
    public string Audience { get; set; } = string.Empty;
    public string Task { get; set; } = string.Empty;
    public IList<string>? Scopes { get; set; }
    public int? TtlSeconds { get; set; }
    public string? OnBehalfOf { get; set; }

    /// <summary>Sent as a header, never in the body.</summary>
    [JsonIgnore]
    public UserProof? UserProof { get; set; }
}

internal sealed class TokenDto
{
    public string Token { get; set; } = string.Empty;
    public string? TokenType { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public string? Jti { get; set; }
}

internal sealed class StsRequestDto
{
    public string Credential { get; set; } = string.Empty;
    public string Task { get; set; } = string.Empty;
    public string? RoleArn { get; set; }
    public int? DurationSeconds { get; set; }
    public JsonElement? Policy { get; set; }
    public string? OnBehalfOf { get; set; }

    /// <summary>Sent as a header, never in the body.</summary>
    [JsonIgnore]
    public UserProof? UserProof { get; set; }
}

internal sealed class StsDto
{
    public string AccessKeyId { get; set; } = string.Empty;
    public string SecretAccessKey { get; set; } = string.Empty;
    public string SessionToken { get; set; } = string.Empty;
    public DateTimeOffset Expiration { get; set; }
    public string? AssumedRoleArn { get; set; }
}

internal sealed class VerifyRequestDto
{
    public string Key { get; set; } = string.Empty;
    public string Agent { get; set; } = string.Empty;
}

internal sealed class VerifyDto
{
    public bool Valid { get; set; }
    public string? Reason { get; set; }
    public string? KeyId { get; set; }
    public string? Name { get; set; }
    public string? Tenant { get; set; }
}

internal sealed class ProblemDto
{
    public string? Type { get; set; }
    public string? Title { get; set; }
    public int? Status { get; set; }
    public string? Detail { get; set; }
}

internal sealed class DiskCacheDto
{
    public string? Cursor { get; set; }
    public List<CredentialDto> Credentials { get; set; } = new();
    public DateTimeOffset SavedAt { get; set; }
}

/// <summary>RFC 8693 §2.2.1 (the fields the client uses).</summary>
internal sealed class OAuthTokenDto
{
    [JsonPropertyName("access_token")]
    public string? AccessToken { get; set; }

    [JsonPropertyName("expires_in")]
    public int ExpiresIn { get; set; }
}

/// <summary>RFC 6749 §5.2.</summary>
internal sealed class OAuthErrorDto
{
    [JsonPropertyName("error")]
    public string? Error { get; set; }
}
