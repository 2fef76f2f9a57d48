namespace Broker.Client.Admin;

/// <summary>A credential's new value and metadata (<c>PUT /v1/credentials/{name}</c>).</summary>
/// <remarks><see cref="ToString"/> never shows <see cref="Value"/>.</remarks>
public class SetCredentialOptions
{
    /// <summary>The secret value; for kind <c>aws</c> a JSON string <c>{"accessKeyId", "secretAccessKey", "roleArn"?}</c>. Never log it.</summary>
    public required string Value { get; set; }

    /// <summary><c>generic</c> (null: the default) or <c>aws</c>.</summary>
    public string? Kind { get; set; }

    /// <summary>Labels: string values.</summary>
    public IDictionary<string, string> Labels { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The user of a per-user value; null stores the shared value.</summary>
    public string? Subject { get; set; }

    /// <summary>Write only if the current version is this one (<c>If-Match</c>); 412 otherwise.</summary>
    public int? IfMatchVersion { get; set; }

    /// <summary>v1.1: <c>read</c> or <c>use</c> (the value never leaves the broker). Null: the broker's default.</summary>
    public string? AgentAccess { get; set; }

    /// <summary>Describes the write without the value.</summary>
    /// <returns>The kind and subject.</returns>
    public override string ToString() => $"SetCredentialOptions {{ Kind = {Kind}, Subject = {Subject}, Value = *** }}";
}
