using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Broker.Approvals;

/// <summary>
/// A request as an approval binds it: what the approver is shown (kind, target, scopes, role, user, task, lifetime)
/// and <see cref="Hash"/>, the SHA-256 of every parameter that shapes the result in a canonical form, so the request
/// repeated with <c>Broker-Approval</c> is carried out only if it asks for exactly the same thing. Parameters only,
/// never a value, a proof or a key.
/// </summary>
/// <param name="Kind">See <see cref="ApprovalKinds"/>.</param>
/// <param name="Target">The audience, the credential of an STS request, or the credential read.</param>
/// <param name="Scopes">The token scopes asked for (sorted, distinct), or empty.</param>
/// <param name="RoleArn">The role of an STS request (as resolved when the request named none), or null.</param>
/// <param name="OnBehalfOf">The user named (<c>onBehalfOf</c>, or <c>subject=</c> of a read), or null.</param>
/// <param name="Task">The agent's task, or null for a read.</param>
/// <param name="LifetimeSeconds">The token's ttl or the STS session's duration asked for, or null for a read.</param>
/// <param name="Hash">Lowercase hex SHA-256 of the canonical parameters.</param>
public sealed record ApprovalAsk(
    string Kind, string Target, IReadOnlyList<string> Scopes, string? RoleArn, string? OnBehalfOf, string? Task, int? LifetimeSeconds, string Hash)
{
    /// <summary>A token request: audience, task, scopes, ttl, user.</summary>
    public static ApprovalAsk ForToken(string audience, string task, IEnumerable<string>? scopes, int ttlSeconds, string? onBehalfOf)
    {
        var sorted = Sorted(scopes);
        return new(ApprovalKinds.Token, audience, sorted, null, onBehalfOf, task, ttlSeconds,
            HashOf(ApprovalKinds.Token, ["audience", audience], ["task", task], ["scopes", .. sorted], ["ttl", Num(ttlSeconds)], ["onBehalfOf", onBehalfOf]));
    }

    /// <summary>An STS request: credential, task, role asked for (null: the credential's own), duration, session policy, user.</summary>
    /// <param name="resolvedRoleArn">The role the request resolves to, shown to the approver.</param>
    public static ApprovalAsk ForSts(string credential, string task, string? roleArn, string? resolvedRoleArn, int durationSeconds, string? policy, string? onBehalfOf) =>
        new(ApprovalKinds.Sts, credential, [], resolvedRoleArn ?? roleArn, onBehalfOf, task, durationSeconds,
            HashOf(ApprovalKinds.Sts, ["credential", credential], ["task", task], ["roleArn", roleArn], ["duration", Num(durationSeconds)], ["policy", policy], ["onBehalfOf", onBehalfOf]));

    /// <summary>A read of one credential (with <paramref name="subject"/>: that user's value).</summary>
    public static ApprovalAsk ForCredential(string name, string? subject) =>
        new(ApprovalKinds.Credential, name, [], null, subject, null, null,
            HashOf(ApprovalKinds.Credential, ["credential", name], ["subject", subject]));

    private static string[] Sorted(IEnumerable<string>? scopes) => (scopes ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    private static string Num(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>JSON arrays of [name, values...] in a fixed order: unambiguous whatever the values hold.</summary>
    private static string HashOf(string kind, params string?[][] fields)
    {
        var canonical = JsonSerializer.Serialize(new object[] { kind, fields });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
