namespace Broker.Minting.Tokens;

/// <summary>The body of <c>POST /v1/tokens</c>.</summary>
/// <param name="Audience">The <c>aud</c> claim: who will accept the token.</param>
/// <param name="Task">The agent's task id, the <c>task_id</c> claim.</param>
/// <param name="Scopes">Scope tokens (RFC 6749 §3.3 characters), joined by spaces into <c>scope</c>.</param>
/// <param name="TtlSeconds">Lifetime, 5..3600, default 60.</param>
/// <param name="OnBehalfOf">The user the agent acts for: becomes <c>sub</c>, the agent moves to <c>act.sub</c>.</param>
public sealed record MintTokenRequest(
    string? Audience,
    string? Task,
    IReadOnlyList<string>? Scopes = null,
    int? TtlSeconds = null,
    string? OnBehalfOf = null);
