namespace Broker.Minting.Tokens;

/// <summary>The answer of <c>POST /v1/tokens</c>: <c>{token, tokenType, expiresAt, jti}</c>.</summary>
public sealed record TokenResult(string Token, string TokenType, DateTimeOffset ExpiresAt, string Jti)
{
    /// <summary>Never prints the token.</summary>
    public override string ToString() => $"TokenResult {{ Jti = {Jti}, ExpiresAt = {ExpiresAt:O} }}";
}
