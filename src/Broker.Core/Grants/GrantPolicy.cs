namespace Broker.Core.Grants;

/// <summary>
/// Decides what an agent key may do with what it asks for, by its grants: the one place where a mint or a use is
/// allowed or refused by name. Every check throws <see cref="GrantRefusedException"/> naming its rule.
/// </summary>
public static class GrantPolicy
{
    /// <summary>A token for <paramref name="audience"/> with <paramref name="scopes"/>, living <paramref name="ttlSeconds"/>.</summary>
    /// <exception cref="GrantRefusedException">No tokens grant, or the audience, a scope or the lifetime is outside it.</exception>
    public static void DemandToken(Caller caller, string audience, IReadOnlyList<string> scopes, int ttlSeconds)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var grant = caller.Grants?.Tokens
            ?? throw GrantRules.Refuse(GrantRules.TokenGrant, "this key has no tokens grant, so it mints no tokens.");
        if (!WildcardPattern.MatchesAny(grant.Audiences, audience))
        {
            throw GrantRules.Refuse(GrantRules.TokenAudience, "the audience matches none of this key's granted audiences.");
        }

        foreach (var scope in scopes)
        {
            if (!WildcardPattern.MatchesAny(grant.Scopes ?? [], scope))
            {
                throw GrantRules.Refuse(GrantRules.TokenScope, $"the scope '{scope}' matches none of this key's granted scopes.");
            }
        }

        if (ttlSeconds > grant.EffectiveMaxTtlSeconds)
        {
            throw GrantRules.Refuse(GrantRules.TokenTtl, $"ttlSeconds may be at most {grant.EffectiveMaxTtlSeconds} for this key.");
        }
    }

    /// <summary>
    /// An STS session from <paramref name="credential"/> as <paramref name="roleArn"/> (null: the credential's own role)
    /// for <paramref name="durationSeconds"/>.
    /// </summary>
    /// <exception cref="GrantRefusedException">The credential, the role or the duration is outside this key's grants.</exception>
    public static void DemandSts(Caller caller, string credential, string? roleArn, int durationSeconds)
    {
        ArgumentNullException.ThrowIfNull(caller);
        DemandCredentialUse(caller, credential);
        var grant = caller.Grants?.Sts;
        if (roleArn is not null && !WildcardPattern.MatchesAny(grant?.Roles ?? [], roleArn))
        {
            throw GrantRules.Refuse(GrantRules.StsRole, "a role other than the credential's own needs a matching sts roles grant.");
        }

        var max = grant?.EffectiveMaxDurationSeconds ?? StsGrant.DefaultMaxDurationSeconds;
        if (durationSeconds > max)
        {
            throw GrantRules.Refuse(GrantRules.StsDuration, $"durationSeconds may be at most {max} for this key.");
        }
    }

    /// <summary>Whether the key's credential patterns allow using (or reading) <paramref name="credential"/>.</summary>
    /// <exception cref="GrantRefusedException">They do not.</exception>
    public static void DemandCredentialUse(Caller caller, string credential)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.MayReadCredential(credential))
        {
            throw GrantRules.Refuse(GrantRules.CredentialPattern, $"this key's credential patterns do not allow '{credential}'.");
        }
    }

    /// <summary>Naming a user (<c>onBehalfOf</c>, <c>subject=</c>) needs proof of that user, or the <c>subjects: any</c> grant.</summary>
    /// <exception cref="GrantRefusedException">No proof and no <c>any</c> grant.</exception>
    public static void DemandSubject(Caller caller, string? subject, bool proven)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (subject is not null && !proven && caller.Grants?.Subjects != SubjectsGrant.Any)
        {
            throw GrantRules.Refuse(GrantRules.SubjectUnproven, "acting for a user needs proof of that user (or the subjects: any grant).");
        }
    }

    /// <summary>Whether the key's <c>approval</c> grant names this request: a scope, the role or the credential matches it.</summary>
    public static bool NeedsApproval(Caller caller, IReadOnlyList<string>? scopes = null, string? roleArn = null, string? credential = null)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Grants?.Approval is not { IsEmpty: false } approval)
        {
            return false;
        }

        return (scopes ?? []).Any(s => WildcardPattern.MatchesAny(approval.Scopes ?? [], s))
            || (roleArn is not null && WildcardPattern.MatchesAny(approval.Roles ?? [], roleArn))
            || (credential is not null && WildcardPattern.MatchesAny(approval.Credentials ?? [], credential));
    }

    /// <summary>
    /// Requests the key's <c>approval</c> grant names wait for a human: unless the request carries an approval consumed
    /// for it (<see cref="Caller.ApprovalId"/>), it is refused here, and the use case that knows approvals turns the
    /// refusal into a pending approval (202). Without that capability the refusal stands (fail closed).
    /// </summary>
    /// <exception cref="GrantRefusedException">A scope, role or credential matches the approval grant (<see cref="GrantRefusedException.Matched"/>: the role, for STS).</exception>
    public static void DemandNoApproval(Caller caller, IReadOnlyList<string>? scopes = null, string? roleArn = null, string? credential = null)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.ApprovalId is null && NeedsApproval(caller, scopes, roleArn, credential))
        {
            throw new GrantRefusedException(GrantRules.ApprovalRequired, "this request needs a human's approval.") { Matched = roleArn };
        }
    }
}
