using Broker.Core;
using Microsoft.Extensions.Options;

namespace Broker.Audit;

/// <summary>
/// "Was this value read?" The answer is an oracle for guessed values, so every question is audited
/// (<c>audit.value_reads</c>, with the number of matches; never the value nor its HMAC, which would make the question
/// findable by the value) and each key may ask at most <c>Broker:Audit:ValueReadsPerMinute</c> in any 60 seconds,
/// counted over every replica.
/// </summary>
public sealed class ValueReads(AuditValueHmac hmac, AuditQueries queries, AuditTrail audit, IQuestionLimiter limiter, IOptions<AuditOptions> options)
{
    public const string Target = "value";

    /// <summary>The tenant's reads of <paramref name="value"/>, matched by its keyed HMAC.</summary>
    /// <exception cref="ValidationException">No value (recorded).</exception>
    /// <exception cref="ValueReadsRefusedException">Over the per-key limit (recorded).</exception>
    /// <exception cref="AuditUnavailableException">The question could not be recorded; nothing is answered.</exception>
    public async Task<IReadOnlyList<AuditRecord>> FindAsync(AuditContext context, string? value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.RequireCaller();
        if (string.IsNullOrEmpty(value))
        {
            var invalid = new ValidationException("value", "\"value\" is required.");
            await audit.RefuseAsync(context, AuditActions.AuditValueReads, Target, invalid).ConfigureAwait(false);
            throw invalid;
        }

        var perMinute = options.Value.ValueReadsPerMinute;
        var (allowed, retryAfter) = await limiter.TryAcquireAsync(CounterOf(caller.KeyId), perMinute, cancellationToken).ConfigureAwait(false);
        if (!allowed)
        {
            await audit.RecordAsync(context, AuditActions.AuditValueReads, Target, AuditOutcomes.Denied,
                new AuditReason(AuditReason.RateLimited).Add("perMinute", perMinute).ToString()).ConfigureAwait(false);
            throw new ValueReadsRefusedException(perMinute, retryAfter);
        }

        await hmac.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var items = await queries.FindByValueHmacAsync(caller.Tenant, hmac.Compute(caller.Tenant, value), AuditQueries.MaxLimit, cancellationToken).ConfigureAwait(false);

        // Fail closed: the answer leaves only once the question is durable in the trail.
        await audit.RecordAsync(context, AuditActions.AuditValueReads, Target, AuditOutcomes.Allowed, new AuditReason().Add("matches", items.Count).ToString()).ConfigureAwait(false);
        return items;
    }

    /// <summary>The counter of one key's questions: apart from the key's own rate limit.</summary>
    public static string CounterOf(string keyId) => "audit.value_reads:" + keyId;
}
