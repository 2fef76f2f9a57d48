using Broker.Core;
using Broker.Minting.Signing;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Minting.Tests;

/// <summary>Retiring a (compromised) signing key at once: gone from JWKS and trust now, on this replica and, when told, on others.</summary>
public sealed class SigningKeyRetirementTests
{
    [Fact]
    public async Task RetireNow_OfTheCurrentKey_CreatesItsReplacementFirst_AndStopsTrustingIt()
    {
        using var rig = new MintingRig();
        var compromised = (await rig.Keys.GetSnapshotAsync()).Current.Kid;
        Assert.True(await rig.Keys.IsTrustedAsync(compromised));

        var after = await rig.Keys.RetireNowAsync(compromised);

        Assert.NotNull(after);
        Assert.NotEqual(compromised, after.Current.Kid);
        Assert.Equal([after.Current.Kid], after.Published.Select(p => p.Kid));
        Assert.DoesNotContain(compromised, await rig.Jwks.GetJwksAsync());
        Assert.False(await rig.Keys.IsTrustedAsync(compromised));
        Assert.True(await rig.Keys.IsTrustedAsync(after.Current.Kid));
        Assert.False(await rig.Keys.IsTrustedAsync("never-seen"));
        var header = System.Text.Json.Nodes.JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars((await rig.MintAsync()).Token.Split('.')[0]))!;
        Assert.Equal(after.Current.Kid, header["kid"]!.GetValue<string>());
        Assert.Equal(after.Current.Kid, (await rig.Keys.GetSnapshotAsync()).Current.Kid);

        var stored = (await rig.Store.ListAsync()).Single(k => k.Kid == compromised);
        Assert.NotNull(stored.RevokedAt);
        Assert.Empty(stored.SealedPrivateKey.Ciphertext);
    }

    [Fact]
    public async Task RetireNow_OfARetiredKey_UnpublishesItAtOnce_AndKeepsTheCurrentKey()
    {
        using var rig = new MintingRig();
        var old = (await rig.Keys.GetSnapshotAsync()).Current.Kid;
        var current = (await rig.Keys.RotateAsync()).Current.Kid;
        Assert.True(await rig.Keys.IsTrustedAsync(old));

        var after = await rig.Keys.RetireNowAsync(old);

        Assert.Equal(current, after!.Current.Kid);
        Assert.False(await rig.Keys.IsTrustedAsync(old));
        Assert.Equal(2, (await rig.Store.ListAsync()).Count);
    }

    [Fact]
    public async Task RetireNow_OfAnUnknownKid_IsNull_AndChangesNothing()
    {
        using var rig = new MintingRig();
        var current = (await rig.Keys.GetSnapshotAsync()).Current.Kid;
        Assert.Null(await rig.Keys.RetireNowAsync("no-such-kid"));
        Assert.Equal(current, (await rig.Keys.GetSnapshotAsync()).Current.Kid);
        Assert.Single(await rig.Store.ListAsync());
    }

    [Fact]
    public async Task AnotherReplica_DropsTheKey_WhenTold_OrAtTheLatestAfterTheRefreshInterval()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new InMemorySigningKeyStore();
        var encryption = TestFixtures.NewEncryption();
        using var a = TestFixtures.Manager(store, encryption, time);
        using var told = TestFixtures.Manager(store, encryption, time);
        using var untold = TestFixtures.Manager(store, encryption, time);
        var compromised = (await a.GetSnapshotAsync()).Current.Kid;
        Assert.Equal(compromised, (await told.GetSnapshotAsync()).Current.Kid);
        Assert.Equal(compromised, (await untold.GetSnapshotAsync()).Current.Kid);

        var replacement = (await a.RetireNowAsync(compromised))!.Current.Kid;
        told.Invalidate(); // what the database notification does on each replica

        Assert.False(await told.IsTrustedAsync(compromised));
        Assert.Equal(replacement, (await told.GetSnapshotAsync()).Current.Kid);

        // Without the notification: the bound is the refresh interval.
        Assert.True(await untold.IsTrustedAsync(compromised));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(await untold.IsTrustedAsync(compromised));
        Assert.Equal(replacement, (await untold.GetSnapshotAsync()).Current.Kid);
    }

    [Fact]
    public async Task AStaleView_IsNeverServedAgain_WhenItsReloadFails()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new FailingStore(new InMemorySigningKeyStore());
        var encryption = TestFixtures.NewEncryption();
        using var a = TestFixtures.Manager(store, encryption, time);
        using var b = TestFixtures.Manager(store, encryption, time);
        var compromised = (await b.GetSnapshotAsync()).Current.Kid;
        await a.RetireNowAsync(compromised);

        store.Failing = true;
        b.Invalidate();
        await Assert.ThrowsAsync<BrokerOperationException>(() => b.GetSnapshotAsync().AsTask());
        await Assert.ThrowsAsync<BrokerOperationException>(() => b.IsTrustedAsync(compromised).AsTask()); // fails closed, again

        store.Failing = false;
        Assert.False(await b.IsTrustedAsync(compromised));
    }

    private sealed class FailingStore(ISigningKeyStore inner) : ISigningKeyStore
    {
        public bool Failing { get; set; }

        public Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken = default) => Check() ?? inner.AddAsync(key, cancellationToken);

        public Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken = default) =>
            Failing ? Task.FromException<IReadOnlyList<SigningKeyRecord>>(new TimeoutException("store down")) : inner.ListAsync(cancellationToken);

        public Task<bool> TryRetireAsync(string kid, DateTimeOffset retiredAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
            inner.TryRetireAsync(kid, retiredAt, expiresAt, cancellationToken);

        public Task<bool> RevokeAsync(string kid, DateTimeOffset revokedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
            inner.RevokeAsync(kid, revokedAt, expiresAt, cancellationToken);

        public Task<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken = default) => inner.DeleteExpiredAsync(before, cancellationToken);

        private Task? Check() => Failing ? Task.FromException(new TimeoutException("store down")) : null;
    }
}
