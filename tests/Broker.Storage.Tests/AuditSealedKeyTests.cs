using System.Security.Cryptography;
using System.Text;
using Broker.Audit;
using Broker.Core;
using Broker.Vault;

namespace Broker.Storage.Tests;

/// <summary>
/// The value-HMAC key kept sealed in the store (<c>audit_sealed_keys</c>): one key for every replica, seeded from the
/// key a broker used before, carried across a key-encryption-key change by the re-wrap, never in the clear.
/// </summary>
public sealed class AuditSealedKeyTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static EnvelopeEncryption NewEnvelope() => new(new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32)));

    private static SealedValueHmacKeySource Source(TestStores stores, EnvelopeEncryption envelope, byte[]? seed = null) =>
        new(stores.AuditProof, envelope, TimeProvider.System, seed is null ? null : new FixedSeed(seed));

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task AddSealedKey_KeepsTheFirst_AndEveryCallerGetsIt(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var envelope = NewEnvelope();
        var first = envelope.Seal([1, 2, 3], [9]);
        var second = envelope.Seal([4, 5, 6], [9]);

        Assert.Null(await stores.AuditProof.GetSealedKeyAsync("value-hmac"));
        var stored = await stores.AuditProof.AddSealedKeyAsync("value-hmac", first, T0);
        var raced = await stores.AuditProof.AddSealedKeyAsync("value-hmac", second, T0.AddSeconds(1));

        Assert.Equal(first.Ciphertext, stored.Ciphertext);
        Assert.Equal(first.Ciphertext, raced.Ciphertext);
        Assert.Equal(first.WrappedKey, (await stores.AuditProof.GetSealedKeyAsync("value-hmac"))!.WrappedKey);
        Assert.Null(await stores.AuditProof.GetSealedKeyAsync("another"));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task TheFirstStart_SeedsTheStoreWithTheEarlierKey_SoOldHmacsStillMatch(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var earlier = RandomNumberGenerator.GetBytes(32);
        using var source = Source(stores, NewEnvelope(), (byte[])earlier.Clone());

        await source.InitializeAsync();

        Assert.Equal(earlier, source.GetKey().ToArray());
        Assert.Equal(
            new AuditValueHmac(new StaticValueHmacKeySource(earlier)).Compute("t1", "sk-value"),
            new AuditValueHmac(source).Compute("t1", "sk-value"));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Replicas_ShareOneKey_WhateverTheirOwnSeed(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var envelope = NewEnvelope();
        using var a = Source(stores, envelope, RandomNumberGenerator.GetBytes(32));
        using var b = Source(stores, envelope, RandomNumberGenerator.GetBytes(32));
        using var c = Source(stores, envelope);

        await Task.WhenAll(a.InitializeAsync(), b.InitializeAsync(), c.InitializeAsync());

        Assert.Equal(a.GetKey().ToArray(), b.GetKey().ToArray());
        Assert.Equal(a.GetKey().ToArray(), c.GetKey().ToArray());
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task TheRewrap_CarriesTheKeyToANewKeyEncryptionKey_AndItStaysTheSame(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var oldKek = new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32));
        var newKek = new MasterKeyEncryptionKey(RandomNumberGenerator.GetBytes(32));
        byte[] before;
        using (var source = Source(stores, new EnvelopeEncryption(oldKek)))
        {
            await source.InitializeAsync();
            before = source.GetKey().ToArray();
        }

        var target = new EnvelopeEncryption(newKek);
        var count = await stores.AuditProof.RewrapAllAsync((wrapped, kekId) => (target.Rewrap(oldKek, wrapped), newKek.Id));

        Assert.Equal(1, count);
        Assert.Equal(newKek.Id, (await stores.AuditProof.GetSealedKeyAsync(SealedValueHmacKeySource.KeyName))!.KekId);
        using var after = Source(stores, target);
        await after.InitializeAsync();
        Assert.Equal(before, after.GetKey().ToArray());

        // The old key-encryption key no longer opens it: it fails closed, never with another key.
        using var stale = Source(stores, new EnvelopeEncryption(oldKek));
        var refused = await Assert.ThrowsAsync<BrokerOperationException>(() => stale.InitializeAsync());
        Assert.Equal(BrokerErrorKind.Unavailable, refused.Kind);
        Assert.Equal(BrokerErrorKind.Unavailable, Assert.Throws<BrokerOperationException>(() => stale.GetKey().ToArray()).Kind);
    }

    [Fact]
    public async Task BeforeItIsLoaded_GetKeyFailsClosed_ThenLoadsItselfInTheBackground()
    {
        using var stores = StoreKinds.Create("sqlite");
        var envelope = NewEnvelope();
        using var source = Source(stores, envelope);

        var refused = Assert.Throws<BrokerOperationException>(() => source.GetKey().ToArray());

        Assert.Equal(BrokerErrorKind.Unavailable, refused.Kind);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!source.IsLoaded && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(32, source.GetKey().Length);
    }

    [Fact]
    public async Task TheDatabaseFile_NeverHoldsTheKeyInTheClear()
    {
        using var stores = StoreKinds.Create("sqlite");
        var key = RandomNumberGenerator.GetBytes(32);
        using (var source = Source(stores, NewEnvelope(), (byte[])key.Clone()))
        {
            await source.InitializeAsync();
        }

        var path = ((SqliteStores)stores).DatabasePath;
        foreach (var file in new[] { path, path + "-wal" }.Where(File.Exists))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(key));
            var latin1 = Encoding.Latin1.GetString(bytes);
            Assert.DoesNotContain(Convert.ToHexString(key), latin1, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(key), latin1, StringComparison.Ordinal);
        }
    }

    private sealed class FixedSeed(byte[] seed) : IValueHmacKeySeed
    {
        public byte[]? GetSeed() => (byte[])seed.Clone();
    }
}
