using System.Globalization;
using Broker.Audit;
using Broker.Core;

namespace Broker.Credentials;

/// <summary>
/// What admins do to credentials, as use cases that record themselves: a write or delete is checked first (a refusal
/// is recorded as denied and changes nothing), then made fail closed and truthfully through <see cref="AuditTrail.ChangeAsync{T}"/>.
/// </summary>
public sealed class CredentialAdmin(CredentialService credentials, AuditTrail audit)
{
    /// <summary>Stores a value: a new credential, a new version, or the same version when the value is unchanged.</summary>
    /// <param name="context">The request.</param>
    /// <param name="name">The credential's name.</param>
    /// <param name="subject">A user the value belongs to, or null for the shared value.</param>
    /// <param name="value">The value, never logged or recorded.</param>
    /// <param name="kind">The kind, or null to keep the current one (new credentials: generic).</param>
    /// <param name="labels">Labels, or null to keep the current ones.</param>
    /// <param name="ifMatch">The <c>If-Match</c> entity tag (a version in quotes), or null.</param>
    /// <param name="cancellationToken">Cancels the checks; the write itself, once recorded, runs to its end.</param>
    /// <param name="agentAccess"><c>read</c> or <c>use</c> (<see cref="CredentialAccess"/>), or null to keep the current one.</param>
    /// <exception cref="ValidationException">A field is invalid.</exception>
    /// <exception cref="BrokerOperationException">PreconditionFailed: <paramref name="ifMatch"/> is not the current version.</exception>
    /// <exception cref="AuditUnavailableException">The write could not be recorded; nothing changed.</exception>
    public async Task<CredentialWriteResult> PutAsync(
        AuditContext context, string name, string? subject, string? value, string? kind, IReadOnlyDictionary<string, string>? labels, string? ifMatch,
        CancellationToken cancellationToken = default, string? agentAccess = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tenant = context.RequireCaller().Tenant;
        var target = Target(name, subject);

        // What can be refused without writing is refused here, recorded as denied, and changes nothing.
        int? expected;
        CredentialWriteResult? refused;
        try
        {
            CredentialService.ValidateName(name);
            expected = ParseIfMatch(ifMatch);
            refused = await credentials.CheckPutAsync(tenant, name, subject, value, kind, labels, expected, cancellationToken, agentAccess).ConfigureAwait(false);
        }
        catch (ValidationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.CredentialWrite, target, ex).ConfigureAwait(false);
            throw;
        }

        if (refused is not null)
        {
            await audit.RecordAsync(context, AuditActions.CredentialWrite, target, AuditOutcomes.Denied, PreconditionReason(expected, refused)).ConfigureAwait(false);
            throw PreconditionFailed(refused);
        }

        // Fail closed: the change is made only once its audit record is durable (503 otherwise, nothing changed). A
        // version that moved since the check is refused by the store's transaction and recorded as a second record.
        var result = await audit.ChangeAsync(
            context, tenant, AuditActions.CredentialWrite, target, expected is null ? null : new AuditReason().Add("ifMatch", expected).ToString(),
            token => credentials.PutAsync(tenant, name, subject, value, kind, labels, expected, token, agentAccess),
            r => r.Outcome == CredentialWriteOutcome.PreconditionFailed ? PreconditionReason(expected, r) : null).ConfigureAwait(false);
        return result.Outcome == CredentialWriteOutcome.PreconditionFailed ? throw PreconditionFailed(result) : result;
    }

    /// <summary>Deletes a credential (every subject), or with <paramref name="subject"/> only that subject's value.</summary>
    /// <exception cref="ValidationException">The name or subject is invalid.</exception>
    /// <exception cref="BrokerOperationException">NotFound: nothing to delete.</exception>
    /// <exception cref="AuditUnavailableException">The delete could not be recorded; nothing changed.</exception>
    public async Task DeleteAsync(AuditContext context, string name, string? subject, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tenant = context.RequireCaller().Tenant;
        var target = Target(name, subject);
        bool exists;
        try
        {
            exists = await credentials.ExistsAsync(tenant, name, subject, cancellationToken).ConfigureAwait(false);
        }
        catch (ValidationException ex)
        {
            await audit.RefuseAsync(context, AuditActions.CredentialDelete, target, ex).ConfigureAwait(false);
            throw;
        }

        if (!exists)
        {
            await audit.RecordAsync(context, AuditActions.CredentialDelete, target, AuditOutcomes.Denied, AuditReason.NotFound).ConfigureAwait(false);
            throw AgentCredentialFeed.NotFound(name);
        }

        var deleted = await audit.ChangeAsync(
            context, tenant, AuditActions.CredentialDelete, target, null,
            token => credentials.DeleteAsync(tenant, name, subject, token),
            d => d ? null : AuditReason.NotFound).ConfigureAwait(false);
        if (!deleted)
        {
            throw AgentCredentialFeed.NotFound(name);
        }
    }

    /// <summary>The record's target even for a name or subject that failed validation: bounded, so a refusal cannot flood the trail.</summary>
    public static string Target(string name, string? subject) => AuditTrail.Bounded(AgentCredentialFeed.Target(name, subject), AuditTrail.MaxTargetLength);

    /// <summary>The reason a write refused by its precondition is recorded with.</summary>
    public static string PreconditionReason(int? expected, CredentialWriteResult refused) =>
        new AuditReason(AuditReason.PreconditionFailed).Add("ifMatch", expected).Add("current", refused.Credential?.Version).ToString();

    /// <summary>The 412 refusal of a write whose If-Match is not the current version.</summary>
    public static BrokerOperationException PreconditionFailed(CredentialWriteResult refused) =>
        new(BrokerErrorKind.PreconditionFailed,
            refused.Credential is null ? "The value does not exist yet, so If-Match cannot match." : $"The current version is {refused.Credential.Version}.");

    /// <summary>The version an <c>If-Match</c> entity tag names, or null without one.</summary>
    /// <exception cref="ValidationException">Not a version in quotes.</exception>
    public static int? ParseIfMatch(string? ifMatch)
    {
        if (string.IsNullOrWhiteSpace(ifMatch))
        {
            return null;
        }

        var value = ifMatch.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }

        value = value.Trim('"');
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            throw new ValidationException("If-Match", "If-Match must be a version in quotes, e.g. \"3\".");
        }

        return version;
    }
}
