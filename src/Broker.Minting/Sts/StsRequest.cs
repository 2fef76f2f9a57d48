using System.Text.Json;

namespace Broker.Minting.Sts;

/// <summary>The body of <c>POST /v1/sts</c>.</summary>
/// <param name="Credential">The <c>aws</c> credential whose keys sign the AssumeRole call.</param>
/// <param name="Task">The agent's task: goes into the session name and the <c>task</c> session tag.</param>
/// <param name="RoleArn">The role to assume; defaults to the credential's <c>roleArn</c>.</param>
/// <param name="DurationSeconds">900..43200, default 900.</param>
/// <param name="Policy">A session policy, as a JSON object; at most 2,048 characters once serialised compactly.</param>
/// <param name="OnBehalfOf">The user the agent acts for: becomes the <c>on_behalf_of</c> session tag.</param>
public sealed record StsRequest(
    string? Credential,
    string? Task,
    string? RoleArn = null,
    int? DurationSeconds = null,
    JsonElement? Policy = null,
    string? OnBehalfOf = null);
