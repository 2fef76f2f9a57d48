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
    bool MetadataChanged,
    int Version,
    SealedValue? Value,
    CredentialWriteResult Result)
{
    public static CredentialWritePlan Decide(CredentialWrite write, CredentialRecord? current, ICredentialValueSealer sealer, Func<IReadOnlyDictionary<string, string>, string> labelsText)
    {
        var kind = write.Kind ?? current?.Kind ?? CredentialKinds.Generic;
        var labels = write.Labels ?? current?.Labels ?? new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (write.IfMatchVersion is { } expected && (current is null || current.Version != expected))
        {
            var refused = new CredentialWriteResult(CredentialWriteOutcome.PreconditionFailed, current is null ? null : CredentialService.ToSummary(current));
            return new(CredentialWriteOutcome.PreconditionFailed, kind, labels, false, current?.Version ?? 0, null, refused);
        }

        if (current is not null && sealer.IsSameValue(current))
        {
            var changed = current.Kind != kind || labelsText(current.Labels) != labelsText(labels);
            var kept = changed ? current with { Kind = kind, Labels = labels, UpdatedAt = write.Now } : current;
            return new(CredentialWriteOutcome.Unchanged, kind, labels, changed, current.Version, null,
                new CredentialWriteResult(CredentialWriteOutcome.Unchanged, CredentialService.ToSummary(kept)));
        }

        var version = (current?.Version ?? 0) + 1;
        var outcome = current is null ? CredentialWriteOutcome.Created : CredentialWriteOutcome.NewVersion;
        var summary = new CredentialSummary(write.Name, write.Subject, kind, labels, version, current?.CreatedAt ?? write.Now, write.Now);
        return new(outcome, kind, labels, true, version, sealer.Seal(version), new CredentialWriteResult(outcome, summary));
    }
}
