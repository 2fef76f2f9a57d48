using Broker.Core;
using Broker.Minting.Signing;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.SigningKeys;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Minting.Tests;

/// <summary>One suite, run against every <see cref="ISigningKeyStore"/>.</summary>
public abstract class SigningKeyStoreContractTests
{
    protected abstract ISigningKeyStore CreateStore();

    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Add_ThenList_RoundTripsEveryField()
    {
        var store = CreateStore();
        var (record, _) = SigningKeyMaterial.Generate(TestFixtures.NewEncryption(), T0.AddMilliseconds(123));

        await store.AddAsync(record);
        var stored = Assert.Single(await store.ListAsync());

        Assert.Equal(record.Kid, stored.Kid);
        Assert.Equal(record.CreatedAt, stored.CreatedAt);
        Assert.Null(stored.RetiredAt);
        Assert.Null(stored.ExpiresAt);
        Assert.Equal(record.PublicJwk, stored.PublicJwk);
        Assert.Equal(record.SealedPrivateKey.Ciphertext, stored.SealedPrivateKey.Ciphertext);
        Assert.Equal(record.SealedPrivateKey.WrappedKey, stored.SealedPrivateKey.WrappedKey);
        Assert.Equal(record.SealedPrivateKey.KekId, stored.SealedPrivateKey.KekId);
    }

    [Fact]
    public async Task Add_SameKidTwice_IsAConflict()
    {
        var store = CreateStore();
        var (record, _) = SigningKeyMaterial.Generate(TestFixtures.NewEncryption(), T0);
        await store.AddAsync(record);

        var ex = await Assert.ThrowsAsync<BrokerOperationException>(() => store.AddAsync(record));

        Assert.Equal(BrokerErrorKind.Conflict, ex.Kind);
    }

    [Fact]
    public async Task TryRetire_KeepsTheFirstRetirement()
    {
        var store = CreateStore();
        var (record, _) = SigningKeyMaterial.Generate(TestFixtures.NewEncryption(), T0);
        await store.AddAsync(record);

        Assert.True(await store.TryRetireAsync(record.Kid, T0.AddDays(1), T0.AddDays(1).AddHours(1)));
        Assert.False(await store.TryRetireAsync(record.Kid, T0.AddDays(2), T0.AddDays(2).AddHours(1)));
        Assert.False(await store.TryRetireAsync("unknown", T0, T0));

        var stored = Assert.Single(await store.ListAsync());
        Assert.Equal(T0.AddDays(1), stored.RetiredAt);
        Assert.Equal(T0.AddDays(1).AddHours(1), stored.ExpiresAt);
    }

    [Fact]
    public async Task DeleteExpired_RemovesOnlyRetiredKeysExpiredAtOrBefore()
    {
        var store = CreateStore();
        var encryption = TestFixtures.NewEncryption();
        var (active, _) = SigningKeyMaterial.Generate(encryption, T0);
        var (expired, _) = SigningKeyMaterial.Generate(encryption, T0);
        var (live, _) = SigningKeyMaterial.Generate(encryption, T0);
        foreach (var key in new[] { active, expired, live })
        {
            await store.AddAsync(key);
        }

        await store.TryRetireAsync(expired.Kid, T0, T0.AddHours(1));
        await store.TryRetireAsync(live.Kid, T0, T0.AddHours(2));

        Assert.Equal(1, await store.DeleteExpiredAsync(T0.AddHours(1)));
        Assert.Equal(new[] { active.Kid, live.Kid }.Order(StringComparer.Ordinal), (await store.ListAsync()).Select(k => k.Kid).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Revoke_RetiresAtOnce_ErasesThePrivateKey_AndKeepsTheFirstRevocation()
    {
        var store = CreateStore();
        var (record, _) = SigningKeyMaterial.Generate(TestFixtures.NewEncryption(), T0);
        await store.AddAsync(record);

        Assert.True(await store.RevokeAsync(record.Kid, T0.AddHours(1), T0.AddHours(2)));
        Assert.True(await store.RevokeAsync(record.Kid, T0.AddHours(3), T0.AddHours(4)));
        Assert.False(await store.RevokeAsync("unknown", T0, T0));

        var stored = Assert.Single(await store.ListAsync());
        Assert.Equal(T0.AddHours(1), stored.RevokedAt);
        Assert.Equal(T0.AddHours(1), stored.RetiredAt);
        Assert.Equal(T0.AddHours(2), stored.ExpiresAt);
        Assert.Empty(stored.SealedPrivateKey.Ciphertext);
        Assert.False(await store.TryRetireAsync(record.Kid, T0.AddHours(5), T0.AddHours(6)));
    }

    [Fact]
    public async Task Manager_OverThisStore_RetiresAtOnce()
    {
        var store = CreateStore();
        using var manager = TestFixtures.Manager(store, TestFixtures.NewEncryption(), new FakeTimeProvider(T0));
        var compromised = (await manager.GetSnapshotAsync()).Current.Kid;

        var after = await manager.RetireNowAsync(compromised);

        Assert.Equal([after!.Current.Kid], after.Published.Select(p => p.Kid));
        Assert.NotEqual(compromised, after.Current.Kid);
    }

    [Fact]
    public async Task Manager_OverThisStore_RotatesRetiresAndDrops()
    {
        var store = CreateStore();
        var time = new FakeTimeProvider(T0);
        using var manager = TestFixtures.Manager(store, TestFixtures.NewEncryption(), time, TestFixtures.Options(TimeSpan.FromDays(1)));
        var first = (await manager.GetSnapshotAsync()).Current.Kid;

        var second = (await manager.RotateAsync()).Current.Kid;
        var third = (await manager.RotateAsync()).Current.Kid;

        Assert.Equal(3, new[] { first, second, third }.Distinct().Count());
        Assert.Equal(third, Assert.Single(await store.ListAsync(), k => k.RetiredAt is null).Kid);
        time.Advance(SigningKeyManagerTimeline.RetiredKeyLifetime);
        Assert.Equal([third], (await manager.GetSnapshotAsync()).Published.Select(p => p.Kid));
        Assert.Equal(third, Assert.Single(await store.ListAsync()).Kid);
    }
}

public sealed class InMemorySigningKeyStoreTests : SigningKeyStoreContractTests
{
    protected override ISigningKeyStore CreateStore() => new InMemorySigningKeyStore();
}

public sealed class SqliteSigningKeyStoreTests : SigningKeyStoreContractTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("broker-minting-").FullName;

    protected override ISigningKeyStore CreateStore()
    {
        var database = new SqliteDatabase(Path.Combine(_directory, Guid.NewGuid().ToString("n") + ".db"));
        SqliteMigrations.Apply(database);
        return new SqliteSigningKeyStore(database);
    }

    [Fact]
    public async Task RewrapAll_MovesKeysToANewKeyEncryptionKey_AndTheyStillSign()
    {
        var store = (SqliteSigningKeyStore)CreateStore();
        var oldKek = new Broker.Vault.MasterKeyEncryptionKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var newKek = new Broker.Vault.MasterKeyEncryptionKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        string kid;
        using (var before = TestFixtures.Manager(store, new Broker.Vault.EnvelopeEncryption(oldKek), time))
        {
            kid = (await before.GetSnapshotAsync()).Current.Kid;
        }

        var target = new Broker.Vault.EnvelopeEncryption(newKek);
        Assert.Equal(1, await store.RewrapAllAsync((wrapped, _) => (target.Rewrap(oldKek, wrapped), newKek.Id)));

        using var after = TestFixtures.Manager(store, target, time);
        Assert.Equal(kid, (await after.GetSnapshotAsync()).Current.Kid);
        Assert.Equal(newKek.Id, Assert.Single(await store.ListAsync()).SealedPrivateKey.KekId);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
