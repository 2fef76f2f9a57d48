namespace Broker.Client;

/// <summary>What AWS session to ask the broker for (<c>POST /v1/sts</c>).</summary>
public class AwsCredentialsRequest
{
    /// <summary>The name of the broker's <c>aws</c> credential to assume the role with.</summary>
    public required string Credential { get; set; }

    /// <summary>The task the session is for (named in the session name).</summary>
    public required string Task { get; set; }

    /// <summary>The role to assume; null takes the credential's.</summary>
    public string? RoleArn { get; set; }

    /// <summary>Session duration (15 min to 12 h); null takes the broker's default (15 min). Sent as whole seconds.</summary>
    public TimeSpan? Duration { get; set; }

    /// <summary>A JSON policy document that narrows the session. Sent as a JSON object.</summary>
    public string? Policy { get; set; }

    /// <summary>The user the agent acts for.</summary>
    public string? OnBehalfOf { get; set; }

    /// <summary>Proof of the <see cref="OnBehalfOf"/> user, sent with it; null sends none. Never shown by <see cref="ToString"/>.</summary>
    public UserProof? UserProof { get; set; }

    /// <summary>Names the credential, role and task, never the proof.</summary>
    /// <returns>A short description.</returns>
    public override string ToString() => $"AwsCredentialsRequest {{ Credential = {Credential}, RoleArn = {RoleArn}, Task = {Task}, OnBehalfOf = {OnBehalfOf} }}";
}
