namespace Broker.Credentials;

/// <summary>A decrypted value with its metadata. Its <see cref="ToString"/> never shows the value.</summary>
public sealed record CredentialValue(string Name, string Subject, string Kind, int Version, DateTimeOffset UpdatedAt, string Value)
{
    public override string ToString() => $"CredentialValue {{ Name = {Name}, Kind = {Kind}, Version = {Version} }}";
}
