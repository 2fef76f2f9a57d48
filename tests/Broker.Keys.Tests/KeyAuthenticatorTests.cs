using Broker.Core;
using Broker.Keys;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Keys.Tests;

public sealed class KeyAuthenticatorTests
{
    [Fact]
    public async Task Invalidation_DuringALoad_WinsOverTheLoadsInsert()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var secret = KeySecrets.NewSecret();
        var store = new GatedStore(new ApiKeyRecord("key_1", "t", "n", Role.Agent, "p", [], [], null, null, time.GetUtcNow(), null, null, null, false));
        var authenticator = new KeyAuthenticator(store, time);

        // A request reads the store (the key is active) and is held there...
        var loading = authenticator.CheckAsync(secret).AsTask();
        await store.Reading.Task;

        // ...while a revoke commits and invalidates.
        store.Key = store.Key with { RevokedAt = time.GetUtcNow() };
        authenticator.Invalidate("key_1");
        store.Release.SetResult();

        Assert.Equal(KeyCheckStatus.Valid, (await loading).Status); // it started before the revoke
        Assert.Equal(0, authenticator.CachedCount);                   // but its stale entry did not survive
        Assert.Equal(KeyCheckStatus.Revoked, (await authenticator.CheckAsync(secret)).Status);
    }

    [Fact]
    public async Task Expiry_IsEvaluatedOnEveryCheck_EvenWhenCached()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new GatedStore(new ApiKeyRecord("key_1", "t", "n", Role.Agent, "p", [], [], null, null, time.GetUtcNow(), time.GetUtcNow().AddSeconds(30), null, null, false));
        store.Release.SetResult();
        var authenticator = new KeyAuthenticator(store, time);
        var secret = KeySecrets.NewSecret();
        Assert.Equal(KeyCheckStatus.Valid, (await authenticator.CheckAsync(secret)).Status);
        Assert.Equal(1, authenticator.CachedCount);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(KeyCheckStatus.Expired, (await authenticator.CheckAsync(secret)).Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Bearer")]
    [InlineData("sk-not-a-broker-key")]
    public async Task MalformedKeys_AreUnknown_WithoutAStoreRead(string presented)
    {
        var store = new GatedStore(null);
        var authenticator = new KeyAuthenticator(store, TimeProvider.System);
        Assert.Equal(KeyCheckStatus.Unknown, (await authenticator.CheckAsync(presented)).Status);
        Assert.False(store.Reading.Task.IsCompleted);
    }

    [Fact]
    public void Secrets_HaveTheFormat()
    {
        var secret = KeySecrets.NewSecret();
        Assert.StartsWith("brk_", secret, StringComparison.Ordinal);
        Assert.Equal(4 + 32, secret.Length); // 24 random bytes, base64url
        Assert.All(secret[4..], c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
        Assert.NotEqual(secret, KeySecrets.NewSecret());
        Assert.Equal(12, KeySecrets.PrefixOf(secret).Length);
    }

    private sealed class GatedStore(ApiKeyRecord? key) : IKeyStore
    {
        public ApiKeyRecord Key { get; set; } = key!;

        public TaskCompletionSource Reading { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<KeyHashMatch?> FindByHashAsync(byte[] secretHash, CancellationToken cancellationToken = default)
        {
            var snapshot = Key;
            Reading.TrySetResult();
            await Release.Task;
            return snapshot is null ? null : new KeyHashMatch(snapshot, null);
        }

        public Task<bool> AnyAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task InsertAsync(ApiKeyRecord key, byte[] secretHash, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ApiKeyRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string tenant, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ApiKeyRecord?> RevokeAsync(string tenant, string id, DateTimeOffset now, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ApiKeyRecord?> RotateAsync(string tenant, string id, byte[] newSecretHash, string newPrefix, DateTimeOffset now, DateTimeOffset? previousSecretsExpireAt, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ApiKeyRecord?> FindBootstrapAsync(byte[] secretHash, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> RevokeBootstrapKeysBeforeAsync(ApiKeyRecord keep, DateTimeOffset now, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task TouchAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastUsed, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<(IReadOnlyList<string> KeyIds, long Sequence)> GetKeyEventsAsync(long sinceSequence, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
