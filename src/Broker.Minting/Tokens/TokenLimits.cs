namespace Broker.Minting.Tokens;

/// <summary>The bounds of <see cref="MintTokenRequest"/>.</summary>
public static class TokenLimits
{
    public const int DefaultTtlSeconds = 60;
    public const int MinTtlSeconds = 5;

    /// <summary>The longest token lifetime; also how long a retired signing key must stay published.</summary>
    public const int MaxTtlSeconds = 3600;

    public const int MaxAudienceLength = 512;
    public const int MaxTaskLength = 128;
    public const int MaxScopes = 64;
    public const int MaxScopeLength = 128;
    public const int MaxScopeClaimLength = 2048;
}
