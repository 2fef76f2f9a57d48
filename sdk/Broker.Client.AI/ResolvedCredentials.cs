namespace Broker.Client.AI;

/// <summary>The headers and environment variables of one call, values filled in. Never logged.</summary>
internal sealed record ResolvedCredentials(IReadOnlyDictionary<string, string> Headers, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>Never shows a value.</summary>
    public override string ToString() => $"ResolvedCredentials({Headers.Count} headers, {Environment.Count} variables)";
}
