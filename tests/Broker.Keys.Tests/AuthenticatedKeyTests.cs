using Broker.Core;
using Broker.Keys;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Keys.Tests;

/// <summary>Re-checking a key after a wait, and waking the wait when the key is invalidated.</summary>
public sealed class AuthenticatedKeyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
    private readonly OneKeyStore _store;
    private readonly KeyAuthenticator _authenticator;
    private readonly string _secret = KeySecrets.NewSecret();

    public AuthenticatedKeyTests()
    {
        _store = new OneKeyStore(new ApiKeyRecord("key_1", "t", "agent", Role.Agent, "p", ["*"], [], null, null, _time.GetUtcNow(), null, null, null, false));
        _authenticator = new KeyAuthenticator(_store, _time);
    }

    [Fact]
    public async Task WaitAsync_RevokeDuringTheWait_WakesAtOnce_AndCancelsWhatItWaitedFor()
    {
        var held = await AuthenticateAsync();
        var until = new Until();
        var waiting = held.WaitAsync(until.WaitAsync, _time.GetUtcNow().AddSeconds(60));
        await until.Started.Task.WaitAsync(Patience);

        _store.Key = _store.Key! with { RevokedAt = _time.GetUtcNow() };
        _authenticator.Invalidate("key_1");

        Assert.Equal(KeyWaitOutcome.KeyInvalid, await waiting.WaitAsync(Patience));
        Assert.True(until.Cancelled);
        Assert.Equal(0, _authenticator.WatchedCount);
    }

    [Fact]
    public async Task WaitAsync_RevokedBeforeTheWaitBegan_IsSeenByTheFirstCheck()
    {
        var held = await AuthenticateAsync();
        _store.Key = _store.Key! with { RevokedAt = _time.GetUtcNow() };
        _authenticator.Invalidate("key_1");
        var until = new Until();

        Assert.Equal(KeyWaitOutcome.KeyInvalid, await held.WaitAsync(until.WaitAsync, _time.GetUtcNow().AddSeconds(60)).WaitAsync(Patience));
        Assert.False(until.Started.Task.IsCompleted);
    }

    [Fact]
    public async Task WaitAsync_InvalidationOfAnotherKey_DoesNotWake()
    {
        var held = await AuthenticateAsync();
        var until = new Until();
        var waiting = held.WaitAsync(until.WaitAsync, _time.GetUtcNow().AddSeconds(60));
        await until.Started.Task.WaitAsync(Patience);
        _authenticator.Invalidate("key_other");
        _authenticator.InvalidateAll();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, until.Calls);

        until.Happen();
        Assert.Equal(KeyWaitOutcome.Signalled, await waiting.WaitAsync(Patience));
        Assert.Equal(0, _authenticator.WatchedCount);
    }

    [Fact]
    public async Task WaitAsync_RotationWithGrace_KeepsWaiting_ThenEndsWhenTheGraceEnds()
    {
        var held = await AuthenticateAsync();
        var until = new Until();
        var waiting = held.WaitAsync(until.WaitAsync, _time.GetUtcNow().AddSeconds(60));
        await until.Started.Task.WaitAsync(Patience);

        // Rotated with 20 s of grace for the presented secret: still valid, so the wait goes on.
        _store.SecretExpiresAt = _time.GetUtcNow().AddSeconds(20);
        _authenticator.Invalidate("key_1");
        await until.CalledAgain(2).WaitAsync(Patience);
        Assert.False(waiting.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(KeyWaitOutcome.KeyInvalid, await waiting.WaitAsync(Patience));
    }

    [Fact]
    public async Task WaitAsync_KeyExpiringBeforeTheDeadline_EndsAtTheExpiry()
    {
        _store.Key = _store.Key! with { ExpiresAt = _time.GetUtcNow().AddSeconds(10) };
        var held = await AuthenticateAsync();
        var until = new Until();
        var waiting = held.WaitAsync(until.WaitAsync, _time.GetUtcNow().AddSeconds(60));
        await until.Started.Task.WaitAsync(Patience);

        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(KeyWaitOutcome.KeyInvalid, await waiting.WaitAsync(Patience));
    }

    [Fact]
    public async Task WaitAsync_DeadlineWithAValidKey_TimesOut()
    {
        _store.Key = _store.Key! with { ExpiresAt = _time.GetUtcNow().AddHours(1) };
        var held = await AuthenticateAsync();
        var until = new Until();
        var waiting = held.WaitAsync(until.WaitAsync, _time.GetUtcNow().AddSeconds(30));
        await until.Started.Task.WaitAsync(Patience);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(KeyWaitOutcome.TimedOut, await waiting.WaitAsync(Patience));
    }

    [Fact]
    public async Task WaitAsync_Cancelled_Throws_AndForgetsTheWatch()
    {
        var held = await AuthenticateAsync();
        using var cts = new CancellationTokenSource();
        var until = new Until();
        var waiting = held.WaitAsync(until.WaitAsync, _time.GetUtcNow().AddSeconds(60), cts.Token);
        await until.Started.Task.WaitAsync(Patience);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Patience));
        Assert.Equal(0, _authenticator.WatchedCount);
    }

    [Fact]
    public async Task Recheck_OfAValidCachedKey_ReadsNoStore()
    {
        var held = await AuthenticateAsync();
        var lookups = _store.Lookups;
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(KeyCheckStatus.Valid, (await held.RecheckAsync()).Status);
        }

        Assert.Equal(lookups, _store.Lookups);
    }

    [Fact]
    public async Task CacheKnowledge_UnderAStaleLease_IsNotAnAnswer_ButStillKnowsTheKeyAsValid()
    {
        var lease = new KeyCacheLease(_time, TimeSpan.FromMilliseconds(500));
        lease.Renew(_time.GetTimestamp());
        var authenticator = new KeyAuthenticator(_store, _time, lease);
        Assert.True(PresentedKey.TryCreate(_secret, out var presented));
        Assert.Equal(KeyCheckStatus.Valid, (await authenticator.CheckAsync(presented)).Status);
        Assert.True(authenticator.TryCheckCached(presented, out _));

        lease.Expire();
        Assert.False(authenticator.TryCheckCached(presented, out _));
        Assert.True(authenticator.IsCachedAsValid(presented));
        authenticator.Invalidate("key_1");
        Assert.False(authenticator.IsCachedAsValid(presented));
    }

    [Fact]
    public async Task RevokedKey_IsAnsweredFromMemory_EvenUnderAStaleLease()
    {
        var lease = new KeyCacheLease(_time, TimeSpan.FromMilliseconds(500));
        lease.Renew(_time.GetTimestamp());
        _store.Key = _store.Key! with { RevokedAt = _time.GetUtcNow() };
        var authenticator = new KeyAuthenticator(_store, _time, lease);
        Assert.Equal(KeyCheckStatus.Revoked, (await authenticator.CheckAsync(_secret)).Status);
        var lookups = _store.Lookups;

        lease.Expire();
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(KeyCheckStatus.Revoked, (await authenticator.CheckAsync(_secret)).Status);
        }

        Assert.Equal(lookups, _store.Lookups);
    }

    [Fact]
    public async Task UnknownKeys_AreNeverCached_SoAFloodNeitherGrowsNorEvictsTheCache()
    {
        await AuthenticateAsync();
        var empty = new KeyAuthenticator(new OneKeyStore(null), _time);
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(KeyCheckStatus.Unknown, (await empty.CheckAsync(KeySecrets.NewSecret())).Status);
        }

        Assert.Equal(0, empty.CachedCount);
        Assert.Equal(1, _authenticator.CachedCount);
    }

    [Fact]
    public void PresentedKey_NeverPrintsItsHash()
    {
        Assert.True(PresentedKey.TryCreate(_secret, out var presented));
        Assert.Equal(nameof(PresentedKey), presented.ToString());
        Assert.False(PresentedKey.TryCreate("sk-not-a-broker-key", out _));
    }

    private async Task<AuthenticatedKey> AuthenticateAsync()
    {
        Assert.True(PresentedKey.TryCreate(_secret, out var presented));
        var check = await _authenticator.CheckAsync(presented);
        Assert.Equal(KeyCheckStatus.Valid, check.Status);
        return new AuthenticatedKey(_authenticator, presented, check.Key!);
    }

    /// <summary>What a test waits for: counts its calls, completes on <see cref="Happen"/>, notes its cancellation.</summary>
    private sealed class Until
    {
        private readonly TaskCompletionSource _happened = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<(int Calls, TaskCompletionSource Reached)> _callWaiters = [];
        private int _calls;

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public bool Cancelled { get; private set; }

        public void Happen() => _happened.TrySetResult();

        public Task CalledAgain(int calls)
        {
            lock (_callWaiters)
            {
                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (Calls >= calls)
                {
                    reached.SetResult();
                }
                else
                {
                    _callWaiters.Add((calls, reached));
                }

                return reached.Task;
            }
        }

        public async Task WaitAsync(CancellationToken cancellationToken)
        {
            lock (_callWaiters)
            {
                var calls = Interlocked.Increment(ref _calls);
                foreach (var (wanted, reached) in _callWaiters.Where(w => w.Calls <= calls))
                {
                    reached.TrySetResult();
                }
            }

            Started.TrySetResult();
            try
            {
                await _happened.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled = true;
                throw;
            }
        }
    }

    private sealed class OneKeyStore(ApiKeyRecord? key) : IKeyStore
    {
        private int _lookups;

        public ApiKeyRecord? Key { get; set; } = key;

        public DateTimeOffset? SecretExpiresAt { get; set; }

        public int Lookups => Volatile.Read(ref _lookups);

        public Task<KeyHashMatch?> FindByHashAsync(byte[] secretHash, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _lookups);
            return Task.FromResult(Key is null ? null : new KeyHashMatch(Key, SecretExpiresAt));
        }

        public Task<bool> AnyAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ApiKeyRecord?> FindBootstrapAsync(byte[] secretHash, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> RevokeBootstrapKeysBeforeAsync(ApiKeyRecord keep, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task InsertAsync(ApiKeyRecord key, byte[] secretHash, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ApiKeyRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string tenant, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ApiKeyRecord?> RevokeAsync(string tenant, string id, DateTimeOffset now, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ApiKeyRecord?> RotateAsync(string tenant, string id, byte[] newSecretHash, string newPrefix, DateTimeOffset now, DateTimeOffset? previousSecretsExpireAt, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task TouchAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastUsed, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<(IReadOnlyList<string> KeyIds, long Sequence)> GetKeyEventsAsync(long sinceSequence, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
