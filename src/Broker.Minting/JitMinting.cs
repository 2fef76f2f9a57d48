using Broker.Approvals;
using Broker.Audit;
using Broker.Core;
using Broker.Core.Grants;
using Broker.Minting.Sts;
using Broker.Minting.Tokens;

namespace Broker.Minting;

/// <summary>
/// Just-in-time credentials as use cases that record themselves: every mint, allowed or refused, is one audit record
/// that says what was asked for or given (never key material), and a minted credential leaves only once its record is
/// durable (fail closed). A mint the key's <c>approval</c> grant names is held for a human (<see cref="ApprovalPendingException"/>)
/// and carried out when repeated with the approval, once, narrowed as approved; without <paramref name="approvals"/>
/// such a mint is refused (fail closed).
/// </summary>
public sealed class JitMinting(TokenMinter tokens, StsMinter sts, AuditTrail audit, IUserProofs? proofs = null, ApprovalDesk? approvals = null)
{
    /// <summary>Mints a token for <paramref name="context"/>'s agent key.</summary>
    /// <exception cref="ValidationException">A field is invalid (recorded).</exception>
    /// <exception cref="BrokerOperationException">Refused (recorded with the rule as its reason).</exception>
    /// <exception cref="AuditUnavailableException">The mint could not be recorded; the token is not given out.</exception>
    public Task<TokenResult> MintTokenAsync(AuditContext context, MintTokenRequest request, CancellationToken cancellationToken = default) =>
        MintTokenAsync(context, request, null, cancellationToken);

    /// <summary>Mints a token for <paramref name="context"/>'s agent key, <c>onBehalfOf</c> the user <paramref name="proof"/> proves.</summary>
    /// <exception cref="ValidationException">A field is invalid (recorded).</exception>
    /// <exception cref="BrokerOperationException">Refused (recorded with the rule as its reason, and how the user was proven).</exception>
    /// <exception cref="AuditUnavailableException">The mint could not be recorded; the token is not given out.</exception>
    public Task<TokenResult> MintTokenAsync(AuditContext context, MintTokenRequest request, UserProof? proof, CancellationToken cancellationToken = default) =>
        MintTokenAsync(context, request, proof, null, cancellationToken);

    /// <summary>Mints a token; <paramref name="approvalId"/>: the human approval this repeated request carries (used once, narrowed as approved).</summary>
    /// <exception cref="ValidationException">A field is invalid (recorded).</exception>
    /// <exception cref="BrokerOperationException">Refused (recorded with the rule as its reason: a grant's, or the approval's).</exception>
    /// <exception cref="ApprovalPendingException">The request waits for a human (recorded as <c>approval.request</c>); nothing was minted.</exception>
    /// <exception cref="AuditUnavailableException">The mint could not be recorded; the token is not given out.</exception>
    public async Task<TokenResult> MintTokenAsync(AuditContext context, MintTokenRequest request, UserProof? proof, string? approvalId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        var caller = context.RequireCaller();
        UserProofResult? proven = null;
        var target = string.IsNullOrEmpty(request.Audience) || request.Audience.Length > 256 ? "(invalid)" : request.Audience;
        TokenResult token;
        try
        {
            (caller, proven) = await SubjectProof.ProveAsync(proofs, caller, request.OnBehalfOf, proof, cancellationToken).ConfigureAwait(false);
            Approval? approved = null;
            if (approvalId is not null)
            {
                approved = await ConsumeAsync(context, approvalId, TokenAsk(request), cancellationToken).ConfigureAwait(false);
                caller = caller with { ApprovalId = approved.Id };
                request = request with { TtlSeconds = approved.GrantedLifetimeSeconds ?? request.TtlSeconds, Scopes = approved.GrantedScopes ?? request.Scopes };
            }

            try
            {
                token = await tokens.MintAsync(caller, request, cancellationToken).ConfigureAwait(false);
            }
            catch (BrokerOperationException ex) when (approved is not null && ex.Kind is BrokerErrorKind.Unavailable)
            {
                // No signing key could sign: the approval delivered nothing, so it is given back for a retry.
                await approvals!.ReleaseAsync(context, approved, ex).ConfigureAwait(false);
                throw;
            }
        }
        catch (GrantRefusedException ex) when (ex.Rule == GrantRules.ApprovalRequired && approvals is not null)
        {
            throw new ApprovalPendingException(await approvals.RequestAsync(context, TokenAsk(request), cancellationToken).ConfigureAwait(false));
        }
        catch (BrokerOperationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.TokenMint, target, ex, MintReason(AuditReason.For(ex), caller, request, ex, proven).ToString()).ConfigureAwait(false);
            throw;
        }

        await audit.RecordAsync(context, AuditActions.TokenMint, target, AuditOutcomes.Allowed,
            MintReason(new AuditReason().Add("jti", token.Jti), caller, request, null, proven).ToString()).ConfigureAwait(false);
        return token;
    }

    /// <summary>Mints STS session credentials from a stored <c>aws</c> credential for <paramref name="context"/>'s agent key.</summary>
    /// <exception cref="ValidationException">A field is invalid (recorded).</exception>
    /// <exception cref="BrokerOperationException">Refused, or STS failed (recorded).</exception>
    /// <exception cref="AuditUnavailableException">The mint could not be recorded; the credentials are not given out.</exception>
    public Task<StsResult> MintStsAsync(AuditContext context, StsRequest request, CancellationToken cancellationToken = default) =>
        MintStsAsync(context, request, null, cancellationToken);

    /// <summary>STS session credentials <c>onBehalfOf</c> the user <paramref name="proof"/> proves.</summary>
    /// <exception cref="ValidationException">A field is invalid (recorded).</exception>
    /// <exception cref="BrokerOperationException">Refused, or STS failed (recorded, with how the user was proven).</exception>
    /// <exception cref="AuditUnavailableException">The mint could not be recorded; the credentials are not given out.</exception>
    public Task<StsResult> MintStsAsync(AuditContext context, StsRequest request, UserProof? proof, CancellationToken cancellationToken = default) =>
        MintStsAsync(context, request, proof, null, cancellationToken);

    /// <summary>STS session credentials; <paramref name="approvalId"/>: the human approval this repeated request carries (used once, narrowed as approved).</summary>
    /// <exception cref="ValidationException">A field is invalid (recorded).</exception>
    /// <exception cref="BrokerOperationException">Refused, or STS failed (recorded). An approval is used up even when STS then fails.</exception>
    /// <exception cref="ApprovalPendingException">The request waits for a human (recorded as <c>approval.request</c>); nothing was minted.</exception>
    /// <exception cref="AuditUnavailableException">The mint could not be recorded; the credentials are not given out.</exception>
    public async Task<StsResult> MintStsAsync(AuditContext context, StsRequest request, UserProof? proof, string? approvalId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        var caller = context.RequireCaller();
        UserProofResult? proven = null;
        var target = request.Credential is { Length: > 0 and <= 128 } c && Names.IsValidCredentialName(c) ? c : "(invalid)";
        StsResult result;
        try
        {
            (caller, proven) = await SubjectProof.ProveAsync(proofs, caller, request.OnBehalfOf, proof, cancellationToken).ConfigureAwait(false);
            Approval? approved = null;
            if (approvalId is not null)
            {
                approved = await ConsumeAsync(context, approvalId, StsAsk(request, null), cancellationToken).ConfigureAwait(false);
                caller = caller with { ApprovalId = approved.Id };
                request = request with { DurationSeconds = approved.GrantedLifetimeSeconds ?? request.DurationSeconds };
            }

            try
            {
                result = await sts.MintAsync(caller, request, cancellationToken).ConfigureAwait(false);
            }
            catch (BrokerOperationException ex) when (approved is not null && ex.Kind is BrokerErrorKind.Upstream or BrokerErrorKind.Unavailable)
            {
                // STS gave no session: the approval delivered nothing, so it is given back for a retry.
                await approvals!.ReleaseAsync(context, approved, ex).ConfigureAwait(false);
                throw;
            }
        }
        catch (GrantRefusedException ex) when (ex.Rule == GrantRules.ApprovalRequired && approvals is not null)
        {
            throw new ApprovalPendingException(await approvals.RequestAsync(context, StsAsk(request, ex.Matched), cancellationToken).ConfigureAwait(false));
        }
        catch (BrokerOperationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.StsMint, target, ex, StsReason(AuditReason.For(ex), request, ex, null, proven).ToString()).ConfigureAwait(false);
            throw;
        }

        await audit.RecordAsync(context, AuditActions.StsMint, target, AuditOutcomes.Allowed, StsReason(new AuditReason(), request, null, result, proven).ToString()).ConfigureAwait(false);
        return result;
    }

    private Task<Approval> ConsumeAsync(AuditContext context, string approvalId, ApprovalAsk ask, CancellationToken cancellationToken) =>
        approvals?.ConsumeAsync(context, approvalId, ask, cancellationToken)
        ?? throw GrantRules.Refuse(GrantRules.ApprovalUnknown, "approvals are not enabled on this broker.");

    /// <summary>What a token request binds an approval to (the request is valid: it was checked first).</summary>
    private static ApprovalAsk TokenAsk(MintTokenRequest request)
    {
        var ttl = TokenMinter.Validate(request, out var scope);
        return ApprovalAsk.ForToken(request.Audience!, request.Task!, scope.Length == 0 ? [] : scope.Split(' '), ttl, request.OnBehalfOf);
    }

    /// <summary>What an STS request binds an approval to; <paramref name="resolvedRole"/> is shown to the approver.</summary>
    private static ApprovalAsk StsAsk(StsRequest request, string? resolvedRole)
    {
        var (duration, policy) = StsMinter.Validate(request);
        return ApprovalAsk.ForSts(request.Credential!, request.Task!, request.RoleArn, resolvedRole, duration, policy, request.OnBehalfOf);
    }

    /// <summary>How the named user was proven (<c>proof=assertion issuer=corp</c>); never the assertion or key itself.</summary>
    private static AuditReason Proof(AuditReason reason, UserProofResult? proven) =>
        proven is null ? reason : reason.Add("proof", proven.Method).Add("issuer", proven.Issuer).Add("key", proven.KeyId);

    /// <summary>
    /// What a token mint asked for or got: <c>sub</c> (the token's subject: the user with <c>onBehalfOf</c>, else the
    /// agent key's name), <c>onBehalfOf</c>, <c>scopes</c>, <c>ttl</c> in seconds. A field the request got wrong is left
    /// out (its name is in <c>fields</c>), except the number <c>ttl</c>.
    /// </summary>
    private static AuditReason MintReason(AuditReason reason, Caller caller, MintTokenRequest body, BrokerOperationException? refused, UserProofResult? proven)
    {
        var invalid = (refused as ValidationException)?.Errors;
        if (invalid?.ContainsKey("onBehalfOf") != true)
        {
            Proof(reason.Add("sub", body.OnBehalfOf ?? caller.Name).Add("onBehalfOf", body.OnBehalfOf), proven);
        }

        if (invalid?.ContainsKey("scopes") != true)
        {
            reason.AddList("scopes", (body.Scopes ?? []).Distinct(StringComparer.Ordinal));
        }

        return reason.Add("ttl", body.TtlSeconds ?? TokenLimits.DefaultTtlSeconds);
    }

    /// <summary>
    /// What an STS mint asked for or got: the <c>role</c> asked for (absent: the credential's own), the
    /// <c>assumedRole</c> STS returned, <c>duration</c> in seconds, <c>onBehalfOf</c>, and whether a session
    /// <c>policy</c> was given (yes/no: never its content). Never any key material.
    /// </summary>
    private static AuditReason StsReason(AuditReason reason, StsRequest body, BrokerOperationException? refused, StsResult? minted, UserProofResult? proven)
    {
        var invalid = (refused as ValidationException)?.Errors;
        if (invalid?.ContainsKey("roleArn") != true)
        {
            reason.Add("role", body.RoleArn);
        }

        reason.Add("assumedRole", minted?.AssumedRoleArn).Add("duration", body.DurationSeconds ?? StsLimits.DefaultDurationSeconds);
        if (invalid?.ContainsKey("onBehalfOf") != true)
        {
            Proof(reason.Add("onBehalfOf", body.OnBehalfOf), proven);
        }

        return reason.Add("policy", body.Policy is { ValueKind: not (System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined) });
    }
}
