using System.Text.Json;

namespace Broker.Client.Internal;

/// <summary>The wire bodies of the two mints and the models made from their answers, shared by the agent and admin clients.</summary>
internal static class Mints
{
    public static TokenRequestDto ToDto(TokenRequest request) => new()
    {
        Audience = request.Audience,
        Task = request.Task,
        Scopes = request.Scopes is { Count: > 0 } s ? s : null,
        TtlSeconds = request.Ttl is TimeSpan ttl ? (int)Math.Ceiling(ttl.TotalSeconds) : null,
        OnBehalfOf = request.OnBehalfOf,
        UserProof = request.UserProof,
    };

    public static BrokerToken ToModel(TokenDto dto) => new(dto.Token, dto.TokenType ?? "Bearer", dto.ExpiresAt, dto.Jti ?? string.Empty);

    /// <exception cref="ArgumentException"><see cref="AwsCredentialsRequest.Policy"/> is not a JSON object.</exception>
    public static StsRequestDto ToDto(AwsCredentialsRequest request)
    {
        JsonElement? policy = null;
        if (request.Policy is { } p)
        {
            try
            {
                using var doc = JsonDocument.Parse(p);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new ArgumentException("AwsCredentialsRequest.Policy must be a JSON object (a policy document).", nameof(request));
                }

                policy = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new ArgumentException("AwsCredentialsRequest.Policy is not valid JSON.", nameof(request), ex);
            }
        }

        return new StsRequestDto
        {
            Credential = request.Credential,
            Task = request.Task,
            RoleArn = request.RoleArn,
            DurationSeconds = request.Duration is TimeSpan d ? (int)Math.Ceiling(d.TotalSeconds) : null,
            Policy = policy,
            OnBehalfOf = request.OnBehalfOf,
            UserProof = request.UserProof,
        };
    }

    public static AwsSessionCredentials ToModel(StsDto dto) =>
        new(dto.AccessKeyId, dto.SecretAccessKey, dto.SessionToken, dto.Expiration, dto.AssumedRoleArn ?? string.Empty);
}
