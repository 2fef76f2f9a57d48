namespace Broker.Client.AI;

/// <summary>The user a tool call acts for: per-user credentials are read for this subject.</summary>
/// <remarks>
/// The place a proof of the user goes when the broker asks for one (<c>Broker-User-Assertion</c> or
/// <c>Broker-User-Key</c>, API v1.1): today per-user values are read with the key's <c>subjects</c> grant alone.
/// </remarks>
public sealed class BrokerToolUser
{
    /// <summary>Names the user.</summary>
    /// <param name="subject">The user's subject, as the broker stores per-user values under it.</param>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is null or empty.</exception>
    public BrokerToolUser(string subject)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        Subject = subject;
    }

    /// <summary>The user's subject.</summary>
    public string Subject { get; }

    /// <summary>Shows the subject only.</summary>
    /// <returns>The subject.</returns>
    public override string ToString() => Subject;
}
