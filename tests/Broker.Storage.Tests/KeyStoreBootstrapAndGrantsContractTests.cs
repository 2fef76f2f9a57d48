using Broker.Core;
using Broker.Keys;

namespace Broker.Storage.Tests;

/// <summary>Bootstrap keys, the verifyAs grant and rows the broker cannot read, on every store.</summary>
public sealed class KeyStoreBootstrapAndGrantsContractTests
{
    private static ApiKeyRecord Bootstrap(string secret, DateTimeOffset createdAt) =>
        new(KeySecrets.NewId(), Tenants.Default, "bootstrap-admin", Role.Admin, KeySecrets.PrefixOf(secret), [], [], null, null, createdAt, null, null, null, true, []);

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task VerifyAs_RoundTrips_AndDefaultsToNone(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var now = DateTimeOffset.UtcNow;
        var granted = new ApiKeyRecord(KeySecrets.NewId(), "t", "runtime", Role.Agent, "brk_prefix12", [], [], null, null, now, null, null, null, false, ["support-*", "billing"]);
        var plain = new ApiKeyRecord(KeySecrets.NewId(), "t", "plain", Role.Agent, "brk_prefix12", [], [], null, null, now, null, null, null, false);
        var secret = KeySecrets.NewSecret();
        await stores.Keys.InsertAsync(granted, KeySecrets.Hash(secret));
        await stores.Keys.InsertAsync(plain, KeySecrets.Hash(KeySecrets.NewSecret()));

        Assert.Equal(["support-*", "billing"], (await stores.Keys.FindByHashAsync(KeySecrets.Hash(secret)))!.Key.VerifyAsPatterns);
        Assert.Equal(["support-*", "billing"], (await stores.Keys.GetAsync("t", granted.Id))!.VerifyAsPatterns);
        Assert.Empty((await stores.Keys.GetAsync("t", plain.Id))!.VerifyAsPatterns!);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Rotate_OfABootstrapKey_MakesItAPlainKey_ButItsValueStaysRegistered(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var now = DateTimeOffset.UtcNow;
        var secret = KeySecrets.NewSecret();
        var key = Bootstrap(secret, now);
        await stores.Keys.InsertAsync(key, KeySecrets.Hash(secret));
        Assert.Equal(key.Id, (await stores.Keys.FindBootstrapAsync(KeySecrets.Hash(secret)))!.Id);
        Assert.Null(await stores.Keys.FindBootstrapAsync(KeySecrets.Hash(KeySecrets.NewSecret())));

        var next = KeySecrets.NewSecret();
        var rotated = await stores.Keys.RotateAsync(Tenants.Default, key.Id, KeySecrets.Hash(next), KeySecrets.PrefixOf(next), now, null);

        Assert.False(rotated!.IsBootstrap);
        Assert.False((await stores.Keys.FindByHashAsync(KeySecrets.Hash(next)))!.Key.IsBootstrap);
        Assert.Null(await stores.Keys.FindByHashAsync(KeySecrets.Hash(secret))); // the old hash is gone from the secrets...
        var registered = await stores.Keys.FindBootstrapAsync(KeySecrets.Hash(secret)); // ...but the value stays known
        Assert.Equal(key.Id, registered!.Id);
        Assert.False(registered.IsBootstrap);
        Assert.Null(await stores.Keys.FindBootstrapAsync(KeySecrets.Hash(next))); // a rotated secret was never registered as bootstrap
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task RevokeBootstrapKeysBefore_RevokesOnlyOlderActiveBootstrapKeys_WithKeyEvents(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var (oldSecret, newSecret) = (KeySecrets.NewSecret(), KeySecrets.NewSecret());
        var old = Bootstrap(oldSecret, t0);
        var newer = Bootstrap(newSecret, t0.AddSeconds(1));
        var plainAdmin = new ApiKeyRecord(KeySecrets.NewId(), Tenants.Default, "admin-2", Role.Admin, "brk_prefix12", [], [], null, null, t0, null, null, null, false);
        await stores.Keys.InsertAsync(old, KeySecrets.Hash(oldSecret));
        await stores.Keys.InsertAsync(newer, KeySecrets.Hash(newSecret));
        await stores.Keys.InsertAsync(plainAdmin, KeySecrets.Hash(KeySecrets.NewSecret()));

        // The older value starting again (a replica not yet reconfigured) never revokes the newer one.
        Assert.Empty(await stores.Keys.RevokeBootstrapKeysBeforeAsync(old, t0.AddSeconds(2)));
        Assert.Null((await stores.Keys.GetAsync(Tenants.Default, newer.Id))!.RevokedAt);

        var (_, before) = await stores.Keys.GetKeyEventsAsync(0);
        Assert.Equal([old.Id], await stores.Keys.RevokeBootstrapKeysBeforeAsync(newer, t0.AddSeconds(2)));
        Assert.NotNull((await stores.Keys.GetAsync(Tenants.Default, old.Id))!.RevokedAt);
        Assert.Null((await stores.Keys.GetAsync(Tenants.Default, newer.Id))!.RevokedAt);
        Assert.Null((await stores.Keys.GetAsync(Tenants.Default, plainAdmin.Id))!.RevokedAt);
        var (events, after) = await stores.Keys.GetKeyEventsAsync(before);
        Assert.Equal([old.Id], events);
        Assert.True(after > before);

        Assert.Empty(await stores.Keys.RevokeBootstrapKeysBeforeAsync(newer, t0.AddSeconds(3))); // idempotent
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task UnknownRoleInARow_ReadsAsNoKey_NeverAsAnotherRole(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var secret = KeySecrets.NewSecret();
        var key = new ApiKeyRecord(KeySecrets.NewId(), "t", "tampered", Role.Caller, KeySecrets.PrefixOf(secret), [], [], null, null, DateTimeOffset.UtcNow, null, null, null, false);
        var neighbour = key with { Id = KeySecrets.NewId(), Name = "neighbour" };
        await stores.Keys.InsertAsync(key, KeySecrets.Hash(secret));
        await stores.Keys.InsertAsync(neighbour, KeySecrets.Hash(KeySecrets.NewSecret()));
        Assert.Equal(1, await stores.ExecuteAsync("UPDATE api_keys SET role = 'superuser' WHERE id = @Id", new { key.Id }));

        Assert.Null(await stores.Keys.FindByHashAsync(KeySecrets.Hash(secret)));
        Assert.Null(await stores.Keys.GetAsync("t", key.Id));
        Assert.Equal([neighbour.Id], (await stores.Keys.ListAsync("t")).Select(k => k.Id));
    }
}
