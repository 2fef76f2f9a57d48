using Amazon.Runtime;

namespace Broker.Client.Aws;

/// <summary>
/// AWS SDK credentials backed by the broker: short-lived STS session credentials from
/// <see cref="BrokerClient.GetAwsCredentialsAsync"/>, renewed inside the pre-expiry window.
/// </summary>
/// <remarks>
/// The window is the one given, or else 5 minutes, or a fifth of the session's duration when that is shorter.
/// One renewal runs at a time (the base class takes the lock and re-checks).
/// </remarks>
public class BrokerAWSCredentials : RefreshingAWSCredentials
{
    private static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(5);

    private readonly BrokerClient _client;
    private readonly AwsCredentialsRequest _request;
    private readonly TimeSpan? _preExpiryWindow;
    private readonly TimeProvider _clock;
    private readonly AwsClock _awsClock;

    /// <summary>Creates the credentials; nothing is fetched until the AWS SDK first asks.</summary>
    /// <param name="client">The broker client.</param>
    /// <param name="request">The session to ask for each time.</param>
    /// <param name="preExpiryWindow">How long before expiry to renew; null: 5 minutes, or a fifth of the duration when shorter.</param>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> or <paramref name="request"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="preExpiryWindow"/> is negative.</exception>
    public BrokerAWSCredentials(BrokerClient client, AwsCredentialsRequest request, TimeSpan? preExpiryWindow = null)
        : this(client, request, preExpiryWindow, TimeProvider.System)
    {
    }

    internal BrokerAWSCredentials(BrokerClient client, AwsCredentialsRequest request, TimeSpan? preExpiryWindow, TimeProvider timeProvider)
        : this(client, request, preExpiryWindow, timeProvider, new AwsClock(timeProvider ?? throw new ArgumentNullException(nameof(timeProvider))))
    {
    }

    private BrokerAWSCredentials(BrokerClient client, AwsCredentialsRequest request, TimeSpan? preExpiryWindow, TimeProvider timeProvider, AwsClock awsClock)
        : base(awsClock)
    {
        _awsClock = awsClock;
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        if (preExpiryWindow is TimeSpan w)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(w, TimeSpan.Zero, nameof(preExpiryWindow));
        }

        _client = client;
        _request = request;
        _preExpiryWindow = preExpiryWindow;
        _clock = timeProvider;
        PreemptExpiryTime = preExpiryWindow ?? WindowFor(request.Duration ?? TimeSpan.FromSeconds(900));
    }

    /// <summary>The pre-expiry window in force (recomputed from each session's lifetime when none was given).</summary>
    public TimeSpan PreExpiryWindow => PreemptExpiryTime;

    /// <summary>Fetches a new session from the broker.</summary>
    /// <returns>The credentials and their expiry.</returns>
    /// <exception cref="BrokerException">The broker refused or could not be reached.</exception>
    protected override CredentialsRefreshState GenerateNewCredentials()
        => Task.Run(GenerateNewCredentialsAsync).GetAwaiter().GetResult();

    /// <summary>Fetches a new session from the broker.</summary>
    /// <returns>The credentials and their expiry.</returns>
    /// <exception cref="BrokerException">The broker refused or could not be reached.</exception>
    protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
    {
        var session = await _client.GetAwsCredentialsAsync(_request, CancellationToken.None).ConfigureAwait(false);
        if (_preExpiryWindow is null)
        {
            var lifetime = session.Expiration - _clock.GetUtcNow();
            PreemptExpiryTime = WindowFor(_request.Duration is TimeSpan d && d < lifetime ? d : lifetime);
        }

        return new CredentialsRefreshState(
            new ImmutableCredentials(session.AccessKeyId, session.SecretAccessKey, session.SessionToken),
            session.Expiration.UtcDateTime,
            _awsClock);
    }

    internal static TimeSpan WindowFor(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var fifth = duration / 5;
        return fifth < DefaultWindow ? fifth : DefaultWindow;
    }

    private sealed class AwsClock(TimeProvider timeProvider) : Amazon.Util.Internal.ITimeProvider
    {
        public DateTime CorrectedUtcNow => timeProvider.GetUtcNow().UtcDateTime;
    }
}
