using Broker.Vault;

namespace Broker.Credentials;

/// <summary>
/// The decision every store makes inside its write transaction, made once here: given the current value, is the
/// write refused (If-Match), unchanged (perhaps with new kind or labels), or a new version, sealed under the
/// version it gets? Stores only run the SQL the plan calls for.
/// </summary>
public sealed record CredentialWritePlan(
    CredentialWriteOutcome Outcome,
    string Kind,
    IReadOnlyDictionary<string, string> Labels,
    string AgentAccess,
    bool MetadataChanged,
    int Version,
    SealedValue? Value,
    CredentialWriteResult Result)
{
    public static CredentialWritePlan Decide(CredentialWrite write, CredentialRecord? current, ICredentialValueSealer sealer, Func<IReadOnlyDictionary<string, string>, string> labelsText)
    {
        var kind = write.Kind ?? current?.Kind ?? CredentialKinds.Generic;
        var labels = write.Labels ?? current?.Labels ?? new SortedDictionary<string, string>(StringComparer.Ordinal);
        var access = CredentialAccess.For(kind, write.AgentAccess ?? current?.AgentAccess);
        if (write.IfMatchVersion is { } expected && (current is null || current.Version != expected))
        {
            var refused = new CredentialWriteResult(CredentialWriteOutcome.PreconditionFailed, current is null ? null : CredentialService.ToSummary(current));
            return new(CredentialWriteOutcome.PreconditionFailed, kind, labels, access, false, current?.Version ?? 0, null, refused);
        }

        if (current is not null && sealer.IsSameValue(current))
        {
            var changed = current.Kind != kind || current.AgentAccess != access || labelsText(current.Labels) != labelsText(labels);
            var kept = changed ? current with { Kind = kind, Labels = labels, AgentAccess = access, UpdatedAt = write.Now } : current;
            return new(CredentialWriteOutcome.Unchanged, kind, labels, access, changed, current.Version, null,
                new CredentialWriteResult(CredentialWriteOutcome.Unchanged, CredentialService.ToSummary(kept)));
        }

        var version = (current?.Version ?? 0) + 1;
        var outcome = current is null ? CredentialWriteOutcome.Created : CredentialWriteOutcome.NewVersion;
        var summary = new CredentialSummary(write.Name, write.Subject, kind, labels, version, current?.CreatedAt ?? write.Now, write.Now, access);
        return new(outcome, kind, labels, access, true, version, sealer.Seal(version), new CredentialWriteResult(outcome, summary));
    }
}
