namespace Broker.Identity;

/// <summary>The form fields of <c>POST /v1/oauth/token</c> (RFC 8693). <see cref="ToString"/> never shows the token.</summary>
public sealed record WorkloadLoginRequest(string? GrantType, string? SubjectToken, string? SubjectTokenType, string? Resource)
{
    public override string ToString() => $"WorkloadLoginRequest {{ GrantType = {GrantType}, Resource = {Resource} }}";
}
