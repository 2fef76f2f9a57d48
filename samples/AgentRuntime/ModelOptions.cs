namespace AgentRuntime;

/// <summary>Bound from section "Model"; ApiKey holds $&lt;credentials.openai_key&gt; in appsettings.json.</summary>
public sealed class ModelOptions
{
    public string ApiKey { get; set; } = string.Empty;

    public TimeSpan CallEvery { get; set; } = TimeSpan.FromSeconds(2);
}
