using Broker.Credentials;
using Broker.Vault;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Storage.Tests;

public sealed class CredentialStoreContractTests
{
    private static CredentialService Service(TestStores stores, out EnvelopeEncryption envelope)
    {
        envelope = new EnvelopeEncryption(new MasterKeyEncryptionKey(new byte[32]));
        return new CredentialService(stores.Credentials, envelope, new CredentialChangeSignal(), new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56)));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Write_Versions_Unchanged_IfMatch(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var service = Service(stores, out _);
        Assert.Equal(CredentialWriteOutcome.Created, (await service.PutAsync("t", "a", null, "v1-value", null, null, null)).Outcome);
        Assert.Equal(CredentialWriteOutcome.Unchanged, (await service.PutAsync("t", "a", null, "v1-value", null, null, null)).Outcome);
        var second = await service.PutAsync("t", "a", null, "v2-value", null, null, null);
        Assert.Equal(CredentialWriteOutcome.NewVersion, second.Outcome);
        Assert.Equal(2, second.Credential!.Version);
        Assert.Equal(CredentialWriteOutcome.PreconditionFailed, (await service.PutAsync("t", "a", null, "v3-value", null, null, 1)).Outcome);
        Assert.Equal(CredentialWriteOutcome.NewVersion, (await service.PutAsync("t", "a", null, "v3-value", null, null, 2)).Outcome);
        Assert.Equal("v3-value", (await service.ReadAsync("t", "a", null))!.Value);
        Assert.Equal([1, 2, 3], (await stores.Credentials.ListVersionsAsync("t", "a", "")).Select(v => v.Version));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Tenants_AreIsolatedInTheStore(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var service = Service(stores, out _);
        await service.PutAsync("t1", "shared", null, "t1-value", null, null, null);
        Assert.Null(await stores.Credentials.GetAsync("t2", "shared", ""));
        Assert.Empty(await stores.Credentials.ListAsync("t2"));
        Assert.Empty((await stores.Credentials.GetChangesAsync("t2", null)).Changed);
        Assert.False(await stores.Credentials.DeleteAsync("t2", "shared", null, DateTimeOffset.UtcNow));
        Assert.NotNull(await stores.Credentials.GetAsync("t1", "shared", ""));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task ChangeFeed_TracksSharedValuesOnly(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var service = Service(stores, out _);
        await service.PutAsync("t", "a", null, "a-value-1", null, null, null);
        var cursor = await service.GetCursorAsync("t");
        await service.PutAsync("t", "a", "alice", "alice-value", null, null, null);
        Assert.Equal(cursor, await service.GetCursorAsync("t"));
        await service.PutAsync("t", "b", null, "b-value-1", null, null, null);
        await service.DeleteAsync("t", "a", null);
        var changes = await service.GetChangesAsync("t", cursor);
        Assert.Equal(["b"], changes.Changed.Select(c => c.Name));
        Assert.Equal(["a"], changes.Removed);
        Assert.True(changes.Cursor > cursor);
        Assert.Null(await stores.Credentials.GetAsync("t", "a", "alice"));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task ListAndChangeFeed_OrderNamesByCodePoint_WhateverTheCollation(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var service = Service(stores, out _);

        // A linguistic collation would skip the punctuation and fold case ("a0" before "a-1", "alice" before "Bob").
        string[] names = ["b", "ab", "a_3", "a0", "a.2", "a-1"];
        var ordinal = names.Order(StringComparer.Ordinal).ToArray();
        foreach (var name in names)
        {
            await service.PutAsync("t", name, null, "value-" + name, null, null, null);
            await service.PutAsync("t", name, "alice", "alice-" + name, null, null, null);
            await service.PutAsync("t", name, "Bob", "bob-" + name, null, null, null);
        }

        var list = await stores.Credentials.ListAsync("t");
        Assert.Equal(ordinal.SelectMany(n => new[] { (n, ""), (n, "Bob"), (n, "alice") }), list.Select(c => (c.Name, c.Subject)));
        Assert.Equal(ordinal, (await stores.Credentials.GetChangesAsync("t", null)).Changed.Select(c => c.Name));

        // After a cursor: changed values and removed names, each in code-point order, each name once.
        var cursor = await service.GetCursorAsync("t");
        foreach (var name in names)
        {
            await service.PutAsync("t", name, null, "second-" + name, null, null, null);
        }

        await service.DeleteAsync("t", "a_3", null);
        await service.DeleteAsync("t", "a-1", null);
        var changes = await service.GetChangesAsync("t", cursor);
        Assert.Equal(ordinal.Except(["a_3", "a-1"]), changes.Changed.Select(c => c.Name));
        Assert.Equal(["a-1", "a_3"], changes.Removed);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task CiphertextMovedToAnotherRow_FailsToDecrypt(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var service = Service(stores, out _);
        await service.PutAsync("t", "a", null, "value-of-a", null, null, null);
        await service.PutAsync("t", "b", null, "value-of-b", null, null, null);
        var a = (await stores.Credentials.GetAsync("t", "a", ""))!;
        var b = (await stores.Credentials.GetAsync("t", "b", ""))!;
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => service.Decrypt(b with { Value = a.Value }));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task RewrapAll_MovesEveryValueToANewKek_WithoutChangingValues(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var service = Service(stores, out var oldEnvelope);
        for (var i = 0; i < 5; i++)
        {
            await service.PutAsync("t", $"c{i}", null, $"value-{i}", null, null, null);
            await service.PutAsync("t", $"c{i}", "bob", $"bob-{i}", null, null, null);
        }

        await KeyEncryptionKeyCheck.VerifyAsync(oldEnvelope, stores.Canary);
        var newKek = new MasterKeyEncryptionKey(Enumerable.Repeat((byte)7, 32).ToArray());
        var newEnvelope = new EnvelopeEncryption(newKek);
        var count = await stores.Credentials.RewrapAllAsync((wrapped, _) => (newEnvelope.Rewrap(oldEnvelope.KeyEncryptionKey, wrapped), newKek.Id));
        Assert.Equal(10, count);

        var rewrapped = new CredentialService(stores.Credentials, newEnvelope, new CredentialChangeSignal(), TimeProvider.System);
        await KeyEncryptionKeyCheck.VerifyAsync(newEnvelope, stores.Canary);
        await Assert.ThrowsAsync<KeyEncryptionKeyException>(() => KeyEncryptionKeyCheck.VerifyAsync(oldEnvelope, stores.Canary));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal($"value-{i}", (await rewrapped.ReadAsync("t", $"c{i}", null))!.Value);
            Assert.Equal($"bob-{i}", (await rewrapped.ReadAsync("t", $"c{i}", "bob"))!.Value);
        }
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task ConcurrentWriters_NeverLoseAVersion(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var service = Service(stores, out _);
        await Parallel.ForEachAsync(Enumerable.Range(0, 40), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            await service.PutAsync("t", "hot", null, "value-" + i, null, null, null, ct));
        var versions = await stores.Credentials.ListVersionsAsync("t", "hot", "");
        Assert.Equal(Enumerable.Range(1, 40), versions.Select(v => v.Version));
        Assert.Equal(40, (await service.GetChangesAsync("t", 0)).Cursor);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task ChangeFeed_UnderParallelWriters_NeverSkipsACommit(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var service = Service(stores, out _);
        var writers = Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 15; i++)
            {
                await service.PutAsync("t", $"w{w}-{i}", null, "value-" + i, null, null, null);
            }
        })));

        // A reader following the feed by cursor must end up having seen every name, whatever the interleaving.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long? cursor = null;
        while (true)
        {
            var done = writers.IsCompleted;
            var changes = await stores.Credentials.GetChangesAsync("t", cursor);
            seen.UnionWith(changes.Changed.Select(c => c.Name));
            cursor = changes.Cursor;
            if (done)
            {
                break;
            }
        }

        await writers;
        Assert.Equal(60, seen.Count);
        Assert.Equal(60, cursor);
    }
}

public sealed class SqliteDeleteTests
{
    [Fact]
    public async Task Delete_DestroysTheWrappedDataKeys_InTheFileAndTheWal()
    {
        var dir = Path.Combine(Path.GetTempPath(), "broker-store-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "broker.db");
        var database = new Broker.Storage.Sqlite.SqliteDatabase(path);
        Broker.Storage.Sqlite.SqliteMigrations.Apply(database);
        var store = new Broker.Storage.Sqlite.Credentials.SqliteCredentialStore(database);
        var service = new CredentialService(store, new EnvelopeEncryption(new MasterKeyEncryptionKey(new byte[32])), new CredentialChangeSignal(), TimeProvider.System);
        await service.PutAsync("t", "doomed", null, "doomed-value-1", null, null, null);
        await service.PutAsync("t", "doomed", null, "doomed-value-2", null, null, null);
        await service.PutAsync("t", "doomed", "alice", "doomed-value-3", null, null, null);
        var wrapped = new[] { (await store.GetAsync("t", "doomed", ""))!.Value, (await store.GetAsync("t", "doomed", "alice"))!.Value };

        Assert.True(await service.DeleteAsync("t", "doomed", null));

        // Scanned while the broker's pooled connections are still open (closing the last one would checkpoint anyway).
        foreach (var file in Directory.GetFiles(dir))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            foreach (var sealedValue in wrapped)
            {
                Assert.True(bytes.AsSpan().IndexOf(sealedValue.WrappedKey) < 0, $"a deleted wrapped data key is still in {Path.GetFileName(file)}");
                Assert.True(bytes.AsSpan().IndexOf(sealedValue.Ciphertext) < 0, $"a deleted ciphertext is still in {Path.GetFileName(file)}");
            }
        }

        using (var connection = database.Open())
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearPool(connection);
        }

        Directory.Delete(dir, recursive: true);
    }
}
