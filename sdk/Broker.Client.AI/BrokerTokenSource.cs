namespace Broker.Client.AI;

/// <summary>
/// A just-in-time token for one (audience, scopes, task), minted through <see cref="BrokerClient.MintTokenAsync"/> and
/// cached until the refresh window before its expiry; then the next caller mints a new one (one mint at a time, the
/// others wait for it).
/// </summary>
/// <remarks>
/// The window is the one given, else a fifth of the token's lifetime, at most one minute. The cached token is an
/// immutable pair swapped whole; a failed mint is not cached (the next call tries again).
/// </remarks>
public sealed class BrokerTokenSource
{
    private static readonly TimeSpan MaxDefaultWindow = TimeSpan.FromMinutes(1);

    private readonly BrokerClient _client;
    private readonly TokenRequest _request;
    private readonly TimeSpan? _refreshBefore;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _mint = new(1, 1);
    private volatile Cached? _current;

    /// <summary>Creates the source; nothing is minted until the first <see cref="GetTokenAsync"/>.</summary>
    /// <param name="client">The broker client (its agent key needs a <c>tokens</c> grant covering the audience and scopes).</param>
    /// <param name="request">What each token is for; copied.</param>
    /// <param name="refreshBefore">How long before expiry to mint the next one; null: a fifth of the lifetime, at most one minute.</param>
    /// <param name="timeProvider">The clock; null: the system's.</param>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> or <paramref name="request"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="refreshBefore"/> is negative.</exception>
    public BrokerTokenSource(BrokerClient client, TokenRequest request, TimeSpan? refreshBefore = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        if (refreshBefore is TimeSpan w)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(w, TimeSpan.Zero, nameof(refreshBefore));
        }

        _client = client;
        _request = new TokenRequest
        {
            Audience = request.Audience,
            Task = request.Task,
            Scopes = request.Scopes.ToList(),
            Ttl = request.Ttl,
            OnBehalfOf = request.OnBehalfOf,
        };
        _refreshBefore = refreshBefore;
        _clock = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How many tokens this source has minted.</summary>
    public int MintCount { get; private set; }

    /// <summary>Returns the cached token, or mints one when there is none or it is inside its refresh window.</summary>
    /// <param name="cancellationToken">Cancels the wait or the mint.</param>
    /// <returns>A token valid for at least the refresh window (unless the broker minted a shorter one).</returns>
    /// <exception cref="BrokerException">The broker refused (403 without a matching <c>tokens</c> grant) or could not be reached.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<BrokerToken> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        if (_current is { } cached && _clock.GetUtcNow() < cached.RefreshAt)
        {
            return cached.Token;
        }

        await _mint.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another caller may have minted while this one waited.
            if (_current is { } again && _clock.GetUtcNow() < again.RefreshAt)
            {
                return again.Token;
            }

            var token = await _client.MintTokenAsync(_request, cancellationToken).ConfigureAwait(false);
            var now = _clock.GetUtcNow();
            var lifetime = token.ExpiresAt - now;
            var window = _refreshBefore ?? (lifetime / 5 < MaxDefaultWindow ? lifetime / 5 : MaxDefaultWindow);
            _current = new Cached(token, token.ExpiresAt - (window > TimeSpan.Zero ? window : TimeSpan.Zero));
            MintCount++;
            return token;
        }
        finally
        {
            _mint.Release();
        }
    }

    private sealed record Cached(BrokerToken Token, DateTimeOffset RefreshAt);
}
