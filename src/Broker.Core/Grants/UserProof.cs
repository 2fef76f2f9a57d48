namespace Broker.Core.Grants;

/// <summary>
/// What a request presented as proof of the user it names: a JWT from a trusted <c>users</c> issuer of the tenant
/// (<c>Broker-User-Assertion</c>), or that user's own caller key (<c>Broker-User-Key</c>). Both are secrets of
/// someone else: never logged, recorded or returned (<see cref="ToString"/> says which kinds were given, nothing more).
/// </summary>
public sealed record UserProof(string? Assertion, string? CallerKey)
{
    /// <summary>A proof from the two headers, or null when neither was given.</summary>
    public static UserProof? From(string? assertion, string? callerKey) =>
        string.IsNullOrEmpty(assertion) && string.IsNullOrEmpty(callerKey) ? null : new UserProof(NullIfEmpty(assertion), NullIfEmpty(callerKey));

    public override string ToString() => $"UserProof {{ Assertion = {(Assertion is null ? "no" : "yes")}, CallerKey = {(CallerKey is null ? "no" : "yes")} }}";

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
