namespace Broker.Audit;

/// <summary>
/// Counts the questions one key asks of the trail (value reads) against a per-minute limit, over every replica. The
/// host supplies it from the broker's usage limiter; the audit capability only says what it needs.
/// </summary>
public interface IQuestionLimiter
{
    /// <summary>Admits one question of <paramref name="counter"/> when fewer than <paramref name="perMinute"/> were asked in the last 60 seconds.</summary>
    /// <returns>Whether it is admitted, and when to ask again if not.</returns>
    ValueTask<(bool Allowed, TimeSpan RetryAfter)> TryAcquireAsync(string counter, int perMinute, CancellationToken cancellationToken = default);
}
