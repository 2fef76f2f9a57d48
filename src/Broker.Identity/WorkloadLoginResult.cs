namespace Broker.Identity;

/// <summary>
/// The answer to a token exchange: an access token (an agent key) and its lifetime, or an RFC 6749 §5.2 error code
/// (<see cref="InvalidRequest"/>, <see cref="UnsupportedGrantType"/>, <see cref="InvalidGrant"/>) that says nothing
/// about which check failed. <see cref="ToString"/> never shows the token.
/// </summary>
public sealed record WorkloadLoginResult(string? AccessToken, int ExpiresIn, string? Error)
{
    public const string InvalidRequest = "invalid_request";
    public const string UnsupportedGrantType = "unsupported_grant_type";
    public const string InvalidGrant = "invalid_grant";

    public static WorkloadLoginResult Failed(string error) => new(null, 0, error);

    public override string ToString() => $"WorkloadLoginResult {{ ExpiresIn = {ExpiresIn}, Error = {Error} }}";
}
