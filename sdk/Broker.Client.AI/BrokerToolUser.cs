using Broker.Client;

namespace Broker.Client.AI;

/// <summary>The user a tool call acts for: per-user credentials are read for this subject.</summary>
/// <remarks>
/// Give the user's <see cref="UserProof"/> (their JWT from a trusted issuer, or their own caller key) unless the agent
/// key is granted <c>subjects: "any"</c>: the broker refuses a per-user read without one (403 <c>subject_unproven</c>),
/// so a prompt that names another user cannot reach that user's credentials.
/// </remarks>
public sealed class BrokerToolUser
{
    /// <summary>Names the user.</summary>
    /// <param name="subject">The user's subject, as the broker stores per-user values under it.</param>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is null or empty.</exception>
    public BrokerToolUser(string subject)
        : this(subject, null)
    {
    }

    /// <summary>Names the user and carries the proof the broker checks before it hands out that user's values.</summary>
    /// <param name="subject">The user's subject, as the broker stores per-user values under it.</param>
    /// <param name="proof">The proof of the user; null: the key's <c>subjects: "any"</c> grant must allow the read.</param>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is null or empty.</exception>
    public BrokerToolUser(string subject, UserProof? proof)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        Subject = subject;
        Proof = proof;
    }

    /// <summary>The user's subject.</summary>
    public string Subject { get; }

    /// <summary>The proof of the user sent with each per-user read, or null.</summary>
    public UserProof? Proof { get; }

    /// <summary>Shows the subject only.</summary>
    /// <returns>The subject.</returns>
    public override string ToString() => Subject;
}
