using Broker.Audit;
using Broker.Keys;

namespace Broker.Server.Adapters;

/// <summary>The audit's question limit on the broker's usage limiter (shared by replicas through the store).</summary>
public sealed class UsageQuestionLimiter(IUsageLimiter limiter) : IQuestionLimiter
{
    public async ValueTask<(bool Allowed, TimeSpan RetryAfter)> TryAcquireAsync(string counter, int perMinute, CancellationToken cancellationToken = default)
    {
        var decision = await limiter.TryAcquireAsync(counter, perMinute, null, cancellationToken).ConfigureAwait(false);
        return (decision.IsAllowed, decision.RetryAfter);
    }
}
