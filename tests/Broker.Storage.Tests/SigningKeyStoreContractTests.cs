using System.Security.Cryptography;
using Broker.Core;
using Broker.Minting.Signing;
using Broker.Vault;

namespace Broker.Storage.Tests;

public sealed class SigningKeyStoreContractTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static SigningKeyRecord NewKey(DateTimeOffset at) =>
        SigningKeyMaterial.Generate(new EnvelopeEncryption(new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32))), at).Record;

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Add_List_Retire_Delete(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var store = stores.SigningKeys;
        var key = NewKey(T0.AddMilliseconds(123));
        await store.AddAsync(key);
        var stored = Assert.Single(await store.ListAsync());
        Assert.Equal(key.Kid, stored.Kid);
        Assert.Equal(key.CreatedAt, stored.CreatedAt);
        Assert.Equal(key.PublicJwk, stored.PublicJwk);
        Assert.Equal(key.SealedPrivateKey.Ciphertext, stored.SealedPrivateKey.Ciphertext);
        Assert.Equal(BrokerErrorKind.Conflict, (await Assert.ThrowsAsync<BrokerOperationException>(() => store.AddAsync(key))).Kind);

        Assert.True(await store.TryRetireAsync(key.Kid, T0.AddHours(1), T0.AddHours(2)));
        Assert.False(await store.TryRetireAsync(key.Kid, T0.AddHours(3), T0.AddHours(4)));
        Assert.Equal(T0.AddHours(1), Assert.Single(await store.ListAsync()).RetiredAt);
        Assert.Equal(0, await store.DeleteExpiredAsync(T0.AddHours(1)));
        Assert.Equal(1, await store.DeleteExpiredAsync(T0.AddHours(2)));
        Assert.Empty(await store.ListAsync());
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Revoke_RetiresAtOnce_ErasesThePrivateKey_AndKeepsTheFirstTime(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var store = stores.SigningKeys;
        var current = NewKey(T0);
        var retired = NewKey(T0);
        await store.AddAsync(current);
        await store.AddAsync(retired);
        Assert.True(await store.TryRetireAsync(retired.Kid, T0.AddHours(1), T0.AddHours(2)));

        Assert.True(await store.RevokeAsync(current.Kid, T0.AddHours(3), T0.AddHours(4)));
        Assert.True(await store.RevokeAsync(retired.Kid, T0.AddHours(3), T0.AddHours(4)));
        Assert.True(await store.RevokeAsync(current.Kid, T0.AddHours(5), T0.AddHours(6)));
        Assert.False(await store.RevokeAsync("no-such-kid", T0, T0));

        var keys = (await store.ListAsync()).ToDictionary(k => k.Kid);
        Assert.Equal(T0.AddHours(3), keys[current.Kid].RevokedAt);
        Assert.Equal(T0.AddHours(3), keys[current.Kid].RetiredAt);
        Assert.Equal(T0.AddHours(4), keys[current.Kid].ExpiresAt);
        Assert.Empty(keys[current.Kid].SealedPrivateKey.Ciphertext);
        Assert.Equal(T0.AddHours(3), keys[retired.Kid].RevokedAt);
        Assert.Equal(T0.AddHours(1), keys[retired.Kid].RetiredAt); // an ordinary retirement keeps its times
        Assert.Equal(T0.AddHours(2), keys[retired.Kid].ExpiresAt);
        Assert.Equal(current.PublicJwk, keys[current.Kid].PublicJwk);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task RewrapAll_MovesEveryKeyToANewKek_AndTheyStillOpen(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var store = stores.SigningKeys;
        var oldKek = new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32));
        var newKek = new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32));
        var keys = new[] { T0, T0.AddMinutes(1) }.Select(at => SigningKeyMaterial.Generate(new EnvelopeEncryption(oldKek), at).Record).ToArray();
        foreach (var key in keys)
        {
            await store.AddAsync(key);
        }

        var target = new EnvelopeEncryption(newKek);
        Assert.Equal(2, await ((IRewrappableStore)store).RewrapAllAsync((wrapped, _) => (target.Rewrap(oldKek, wrapped), newKek.Id)));

        var stored = await store.ListAsync();
        Assert.Equal(keys.Select(k => k.Kid), stored.Select(k => k.Kid));
        Assert.All(stored, k => Assert.Equal(newKek.Id, k.SealedPrivateKey.KekId));
        Assert.Equal(keys.Select(k => k.SealedPrivateKey.Ciphertext), stored.Select(k => k.SealedPrivateKey.Ciphertext));
        Assert.All(stored, k => Assert.Equal(k.Kid, SigningKeyMaterial.Open(k, target).Kid));
        Assert.Throws<BrokerOperationException>(() => SigningKeyMaterial.Open(stored[0], new EnvelopeEncryption(oldKek)));
    }
}
