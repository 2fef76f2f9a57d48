namespace Broker.Client;

/// <summary>One outbound credential as the broker served it. Immutable.</summary>
/// <remarks><see cref="ToString"/> never shows <see cref="Value"/>.</remarks>
public class BrokerCredential
{
    /// <summary>Creates an empty credential, for mocking. Use <see cref="BrokerModelFactory.BrokerCredential"/> in tests.</summary>
    protected BrokerCredential()
    {
        Name = string.Empty;
        Kind = "generic";
        Value = string.Empty;
    }

    internal BrokerCredential(string name, string kind, int version, string value, DateTimeOffset updatedAt)
    {
        Name = name;
        Kind = kind;
        Version = version;
        Value = value;
        UpdatedAt = updatedAt;
    }

    /// <summary>The credential's name, e.g. <c>openai_key</c>.</summary>
    public virtual string Name { get; }

    /// <summary>The kind: <c>generic</c>, <c>aws</c>, ….</summary>
    public virtual string Kind { get; }

    /// <summary>The version the broker assigned to this value.</summary>
    public virtual int Version { get; }

    /// <summary>The secret value. Never log it.</summary>
    public virtual string Value { get; }

    /// <summary>When this version was written.</summary>
    public virtual DateTimeOffset UpdatedAt { get; }

    /// <summary>Describes the credential without its value.</summary>
    public override string ToString() => $"BrokerCredential {{ Name = {Name}, Kind = {Kind}, Version = {Version}, Value = ***, UpdatedAt = {UpdatedAt:O} }}";
}
