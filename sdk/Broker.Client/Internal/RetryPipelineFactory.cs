using Polly;
using Polly.Retry;

namespace Broker.Client.Internal;

/// <summary>The one retry policy of the client: for the first load and for every refresh.</summary>
internal static class RetryPipelineFactory
{
    /// <summary>
    /// Retries without limit (the caller's token bounds it) with exponential backoff and jitter, every delay capped
    /// at <see cref="BrokerClientOptions.MaxRetryDelay"/> jitter included, so the client catches up within that
    /// delay of the broker's return.
    /// </summary>
    /// <param name="options">Supplies <see cref="BrokerClientOptions.MaxRetryDelay"/> and the clock.</param>
    /// <param name="shouldRetry">Which failures are worth another attempt.</param>
    /// <param name="onRetry">Told of each failure that will be retried.</param>
    public static ResiliencePipeline Create(BrokerClientOptions options, Func<Exception, bool> shouldRetry, Action<Exception?> onRetry)
    {
        var baseDelay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMilliseconds(200).Ticks, options.MaxRetryDelay.Ticks));
        return new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle(shouldRetry),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = baseDelay,
                MaxDelay = options.MaxRetryDelay,
                OnRetry = args =>
                {
                    onRetry(args.Outcome.Exception);
                    return default;
                },
            })
            .Build();
    }
}
