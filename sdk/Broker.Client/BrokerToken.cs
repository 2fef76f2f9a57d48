namespace Broker.Client;

/// <summary>A just-in-time token minted by the broker. Immutable.</summary>
/// <remarks><see cref="ToString"/> never shows <see cref="Token"/>.</remarks>
public class BrokerToken
{
    /// <summary>For mocking. Use <see cref="BrokerModelFactory.BrokerToken"/> in tests.</summary>
    protected BrokerToken()
    {
        Token = string.Empty;
        TokenType = "Bearer";
        Jti = string.Empty;
    }

    internal BrokerToken(string token, string tokenType, DateTimeOffset expiresAt, string jti)
    {
        Token = token;
        TokenType = tokenType;
        ExpiresAt = expiresAt;
        Jti = jti;
    }

    /// <summary>The signed token (a JWT). Never log it.</summary>
    public virtual string Token { get; }

    /// <summary>The token type, <c>Bearer</c>.</summary>
    public virtual string TokenType { get; }

    /// <summary>When the token stops being valid.</summary>
    public virtual DateTimeOffset ExpiresAt { get; }

    /// <summary>The token's unique id (<c>jti</c> claim); safe to log.</summary>
    public virtual string Jti { get; }

    /// <summary>Describes the token without the token itself.</summary>
    public override string ToString() => $"BrokerToken {{ TokenType = {TokenType}, Jti = {Jti}, ExpiresAt = {ExpiresAt:O}, Token = *** }}";
}
