namespace Broker.Client;

/// <summary>What to put in a just-in-time token (<c>POST /v1/tokens</c>).</summary>
public class TokenRequest
{
    /// <summary>The token's audience (<c>aud</c>).</summary>
    public required string Audience { get; set; }

    /// <summary>The task the token is for (<c>task_id</c>).</summary>
    public required string Task { get; set; }

    /// <summary>Scopes (<c>scope</c>, space separated in the token). Empty by default.</summary>
    public IList<string> Scopes { get; set; } = new List<string>();

    /// <summary>Lifetime (5 s to 1 h); null takes the broker's default (60 s). Sent as whole seconds.</summary>
    public TimeSpan? Ttl { get; set; }

    /// <summary>The user the agent acts for; becomes <c>sub</c>, with the agent in <c>act</c>.</summary>
    public string? OnBehalfOf { get; set; }

    /// <summary>Proof of the <see cref="OnBehalfOf"/> user, sent with it; null sends none. Never shown by <see cref="ToString"/>.</summary>
    public UserProof? UserProof { get; set; }

    /// <summary>Names the audience and task, never the proof.</summary>
    /// <returns>A short description.</returns>
    public override string ToString() => $"TokenRequest {{ Audience = {Audience}, Task = {Task}, OnBehalfOf = {OnBehalfOf} }}";
}
