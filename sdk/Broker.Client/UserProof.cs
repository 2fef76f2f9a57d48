namespace Broker.Client;

/// <summary>
/// Proof of the user a call names (<see cref="TokenRequest.OnBehalfOf"/>, <see cref="AwsCredentialsRequest.OnBehalfOf"/>,
/// <see cref="BrokerClient.GetCredentialForSubjectAsync(string, string, UserProof?, CancellationToken)"/>): the user's
/// JWT from an issuer the tenant trusts, or the user's own caller key. Without it, the broker serves a user only to an
/// agent key granted <c>subjects: "any"</c>.
/// </summary>
/// <remarks>Immutable. <see cref="ToString"/> never shows the assertion or the key.</remarks>
public sealed class UserProof
{
    internal const string AssertionHeader = "Broker-User-Assertion";
    internal const string CallerKeyHeader = "Broker-User-Key";

    private UserProof(string header, string value)
    {
        Header = header;
        Value = value;
    }

    /// <summary>The header the proof travels in.</summary>
    internal string Header { get; }

    /// <summary>The assertion or key; never logged.</summary>
    internal string Value { get; }

    /// <summary>A user JWT, sent as <c>Broker-User-Assertion</c>; its subject claim must be the user named.</summary>
    /// <param name="jwt">The user's JWT (compact form).</param>
    /// <returns>The proof.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="jwt"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="jwt"/> is empty or white space.</exception>
    public static UserProof FromAssertion(string jwt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jwt);
        return new UserProof(AssertionHeader, jwt);
    }

    /// <summary>The user's own caller key (its <c>subject</c> is the user), sent as <c>Broker-User-Key</c>.</summary>
    /// <param name="key">The caller key (<c>brk_…</c>) the user presented to the agent.</param>
    /// <returns>The proof.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty or white space.</exception>
    public static UserProof FromCallerKey(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return new UserProof(CallerKeyHeader, key);
    }

    /// <summary>Names the kind of proof, never its value.</summary>
    /// <returns><c>UserProof { Kind = assertion, Value = *** }</c> or <c>... caller key ...</c>.</returns>
    public override string ToString() => $"UserProof {{ Kind = {(Header == AssertionHeader ? "assertion" : "caller key")}, Value = *** }}";
}
