using Broker.Core;

namespace Broker.Audit;

/// <summary>A key asked more value-reads questions than its limit allows (429 with <see cref="RetryAfter"/>).</summary>
public sealed class ValueReadsRefusedException(int perMinute, TimeSpan retryAfter)
    : BrokerOperationException(BrokerErrorKind.RateLimited, $"This key asked more than {perMinute} value-reads questions in the last minute; retry after the time in Retry-After.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
