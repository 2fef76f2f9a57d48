using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Broker.Core;
using Broker.Core.Grants;
using Broker.Vault;

namespace Broker.Credentials;

/// <summary>
/// Outbound credentials: validation, envelope encryption with row-bound associated data, versioning and the
/// change signal. The host calls this; it never sees SQL or ciphertext.
/// </summary>
public sealed class CredentialService(ICredentialStore store, EnvelopeEncryption envelope, CredentialChangeSignal signal, TimeProvider time)
{
    public const int MaxLabels = 64;
    public const int MaxLabelKeyLength = 128;
    public const int MaxLabelValueLength = 1024;

    public CredentialChangeSignal Signal => signal;

    public async Task<CredentialWriteResult> PutAsync(
        string tenant, string name, string? subject, string? value, string? kind, IReadOnlyDictionary<string, string>? labels, int? ifMatchVersion,
        CancellationToken cancellationToken = default, string? agentAccess = null)
    {
        var subjectKey = ValidateWrite(name, subject, value, kind, agentAccess);

        // An update that omits kind keeps the current one, and is validated as that kind.
        var effectiveKind = kind ?? (await store.GetAsync(tenant, name, subjectKey, cancellationToken).ConfigureAwait(false))?.Kind;
        ValidateValue(effectiveKind, value);
        labels = labels is null ? null : ValidateLabels(labels);
        ValidateAccess(effectiveKind, agentAccess);
        var write = new CredentialWrite(tenant, name, subjectKey, kind, labels, ifMatchVersion, time.GetUtcNow(), agentAccess);
        var plaintext = Encoding.UTF8.GetBytes(value);
        try
        {
            var result = await store.WriteAsync(write, new Sealer(envelope, tenant, name, subjectKey, plaintext), cancellationToken).ConfigureAwait(false);
            if (subjectKey.Length == 0 && result.Outcome is CredentialWriteOutcome.Created or CredentialWriteOutcome.NewVersion)
            {
                signal.Publish(tenant, await store.GetCursorAsync(tenant, cancellationToken).ConfigureAwait(false), name);
            }

            return result;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>
    /// Checks a write without making it: every field as <see cref="PutAsync"/> would, and <paramref name="ifMatchVersion"/>
    /// against the current version. Lets the caller refuse (and say why) before it records the intent to write.
    /// </summary>
    /// <returns>Null when the write may proceed; otherwise the <see cref="CredentialWriteOutcome.PreconditionFailed"/> result <see cref="PutAsync"/> would give.</returns>
    /// <exception cref="ValidationException">A field is invalid.</exception>
    public async Task<CredentialWriteResult?> CheckPutAsync(
        string tenant, string name, string? subject, string? value, string? kind, IReadOnlyDictionary<string, string>? labels, int? ifMatchVersion,
        CancellationToken cancellationToken = default, string? agentAccess = null)
    {
        var subjectKey = ValidateWrite(name, subject, value, kind, agentAccess);
        if (labels is not null)
        {
            ValidateLabels(labels);
        }

        var current = await store.GetAsync(tenant, name, subjectKey, cancellationToken).ConfigureAwait(false);
        ValidateValue(kind ?? current?.Kind, value);
        ValidateAccess(kind ?? current?.Kind, agentAccess);
        return ifMatchVersion is { } expected && current?.Version != expected
            ? new CredentialWriteResult(CredentialWriteOutcome.PreconditionFailed, current is null ? null : ToSummary(current))
            : null;
    }

    /// <summary>Whether <see cref="DeleteAsync"/> would delete anything: with a subject, that subject's value; without, any value of the name.</summary>
    public async Task<bool> ExistsAsync(string tenant, string name, string? subject, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        var subjectKey = subject is null ? null : NormalizeSubject(subject);
        if (await store.GetAsync(tenant, name, subjectKey ?? string.Empty, cancellationToken).ConfigureAwait(false) is not null)
        {
            return true;
        }

        // Only per-subject values of the name: rare, so the tenant's list is affordable here.
        return subjectKey is null && (await store.ListAsync(tenant, cancellationToken).ConfigureAwait(false)).Any(c => c.Name == name);
    }

    public Task<IReadOnlyList<CredentialSummary>> ListAsync(string tenant, CancellationToken cancellationToken = default) =>
        store.ListAsync(tenant, cancellationToken);

    public async Task<(CredentialSummary Credential, IReadOnlyList<CredentialVersionInfo> Versions)?> DescribeAsync(string tenant, string name, string? subject, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        var subjectKey = NormalizeSubject(subject);
        var record = await store.GetAsync(tenant, name, subjectKey, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return null;
        }

        var versions = await store.ListVersionsAsync(tenant, name, subjectKey, cancellationToken).ConfigureAwait(false);
        return (ToSummary(record), versions);
    }

    public async Task<bool> DeleteAsync(string tenant, string name, string? subject, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        var subjectKey = subject is null ? null : NormalizeSubject(subject);
        var deleted = await store.DeleteAsync(tenant, name, subjectKey, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (deleted && subjectKey is null or "")
        {
            signal.Publish(tenant, await store.GetCursorAsync(tenant, cancellationToken).ConfigureAwait(false), name);
        }

        return deleted;
    }

    /// <summary>Reads and decrypts one value (subject "" or null: the shared value; never a fall-back).</summary>
    public async Task<CredentialValue?> ReadAsync(string tenant, string name, string? subject, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        var record = await store.GetAsync(tenant, name, NormalizeSubject(subject), cancellationToken).ConfigureAwait(false);
        return record is null ? null : Decrypt(record);
    }

    /// <summary>
    /// Reads and decrypts one value for an agent: a value that never leaves the broker (<see cref="CredentialAccess.Use"/>)
    /// is refused before it is decrypted.
    /// </summary>
    /// <exception cref="GrantRefusedException"><see cref="GrantRules.AgentAccess"/>: the value is used on agents' behalf only.</exception>
    public async Task<CredentialValue?> ReadForAgentAsync(string tenant, string name, string? subject, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        var record = await store.GetAsync(tenant, name, NormalizeSubject(subject), cancellationToken).ConfigureAwait(false);
        if (record is { AgentAccess: CredentialAccess.Use })
        {
            throw GrantRules.Refuse(GrantRules.AgentAccess, $"'{name}' is used by the broker on agents' behalf and never leaves it.");
        }

        return record is null ? null : Decrypt(record);
    }

    public Task<long> GetCursorAsync(string tenant, CancellationToken cancellationToken = default) => store.GetCursorAsync(tenant, cancellationToken);

    public Task<CredentialChanges> GetChangesAsync(string tenant, long? since, CancellationToken cancellationToken = default) =>
        store.GetChangesAsync(tenant, since, cancellationToken);

    public CredentialValue Decrypt(CredentialRecord record)
    {
        var ad = AssociatedData.ForCredential(record.Tenant, record.Name, record.Subject, record.Version);
        var plaintext = envelope.Open(record.Value, ad);
        try
        {
            return new CredentialValue(record.Name, record.Subject, record.Kind, record.Version, record.UpdatedAt, Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    public static CredentialSummary ToSummary(CredentialRecord r) => new(r.Name, r.Subject, r.Kind, r.Labels, r.Version, r.CreatedAt, r.UpdatedAt, r.AgentAccess);

    public static void ValidateName(string name)
    {
        if (!Names.IsValidCredentialName(name))
        {
            throw new ValidationException("name", "A credential name must match ^[a-z0-9][a-z0-9_.-]{0,127}$.");
        }
    }

    private static string ValidateWrite(string name, string? subject, [NotNull] string? value, string? kind, string? agentAccess)
    {
        if (agentAccess is not null && !CredentialAccess.IsKnown(agentAccess))
        {
            throw new ValidationException("agentAccess", "\"agentAccess\" is \"read\" (agents may read the value) or \"use\" (it never leaves the broker).");
        }

        ValidateName(name);
        var subjectKey = NormalizeSubject(subject);
        if (value is null)
        {
            throw new ValidationException("value", "\"value\" is required.");
        }

        if (value.Length == 0)
        {
            throw new ValidationException("value", "\"value\" must not be empty.");
        }

        if (kind is not null && !CredentialKinds.IsKnown(kind))
        {
            throw new ValidationException("kind", "\"kind\" must be \"generic\" or \"aws\".");
        }

        return subjectKey;
    }

    private static void ValidateAccess(string? kind, string? agentAccess)
    {
        if (kind == CredentialKinds.Aws && agentAccess == CredentialAccess.Read)
        {
            throw new ValidationException("agentAccess", "aws credentials are always \"use\": the broker mints STS sessions from them, agents never read them.");
        }
    }

    private static void ValidateValue(string? kind, string value)
    {
        if (kind == CredentialKinds.Aws)
        {
            AwsCredentialValue.Parse(value);
        }
    }

    /// <summary>Checks a subject (null or empty: the shared value).</summary>
    /// <exception cref="ValidationException">Not a valid subject.</exception>
    public static void ValidateSubject(string? subject) => NormalizeSubject(subject);

    private static string NormalizeSubject(string? subject)
    {
        if (string.IsNullOrEmpty(subject))
        {
            return string.Empty;
        }

        if (!Names.IsValidSubject(subject))
        {
            throw new ValidationException("subject", "A subject is 1 to 256 printable ASCII characters without spaces.");
        }

        return subject;
    }

    private static IReadOnlyDictionary<string, string> ValidateLabels(IReadOnlyDictionary<string, string> labels)
    {
        if (labels.Count == 0)
        {
            return new SortedDictionary<string, string>(StringComparer.Ordinal);
        }

        if (labels.Count > MaxLabels)
        {
            throw new ValidationException("labels", $"At most {MaxLabels} labels.");
        }

        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, labelValue) in labels)
        {
            if (string.IsNullOrEmpty(key) || key.Length > MaxLabelKeyLength || labelValue is null || labelValue.Length > MaxLabelValueLength)
            {
                throw new ValidationException("labels", $"Label keys are 1 to {MaxLabelKeyLength} characters; values are strings of at most {MaxLabelValueLength}.");
            }

            sorted[key] = labelValue;
        }

        return sorted;
    }

    private sealed class Sealer(EnvelopeEncryption envelope, string tenant, string name, string subject, byte[] plaintext) : ICredentialValueSealer
    {
        public bool IsSameValue(CredentialRecord current)
        {
            byte[] existing;
            try
            {
                existing = envelope.Open(current.Value, AssociatedData.ForCredential(tenant, name, subject, current.Version));
            }
            catch (CryptographicException)
            {
                // An unreadable current value is never "the same": the write makes a new version.
                return false;
            }

            try
            {
                return CryptographicOperations.FixedTimeEquals(existing, plaintext);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(existing);
            }
        }

        public SealedValue Seal(int version) => envelope.Seal(plaintext, AssociatedData.ForCredential(tenant, name, subject, version));
    }
}
