using Broker.Core;
using Broker.Keys;

namespace Broker.Storage.Tests;

public sealed class KeyStoreContractTests
{
    private static ApiKeyRecord NewKey(string tenant, string name, DateTimeOffset now) =>
        new(KeySecrets.NewId(), tenant, name, Role.Agent, "brk_prefix12", ["a*"], [], 10, null, now, null, null, null, false);

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Insert_Find_List_Revoke_AreTenantScoped(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var now = DateTimeOffset.UtcNow;
        var key = NewKey("t1", "k", now);
        var secret = KeySecrets.NewSecret();
        await stores.Keys.InsertAsync(key, KeySecrets.Hash(secret));
        Assert.True(await stores.Keys.AnyAsync());

        var found = await stores.Keys.FindByHashAsync(KeySecrets.Hash(secret));
        Assert.Equal(key.Id, found!.Key.Id);
        Assert.Equal(["a*"], found.Key.CredentialPatterns);
        Assert.Equal(10, found.Key.RateLimitPerMinute);
        Assert.Null(await stores.Keys.FindByHashAsync(KeySecrets.Hash(KeySecrets.NewSecret())));

        Assert.Null(await stores.Keys.GetAsync("t2", key.Id));
        Assert.Empty(await stores.Keys.ListAsync("t2"));
        Assert.Null(await stores.Keys.RevokeAsync("t2", key.Id, now));
        Assert.Null((await stores.Keys.GetAsync("t1", key.Id))!.RevokedAt);

        var (_, before) = await stores.Keys.GetKeyEventsAsync(0);
        var revoked = await stores.Keys.RevokeAsync("t1", key.Id, now);
        Assert.NotNull(revoked!.RevokedAt);
        var again = await stores.Keys.RevokeAsync("t1", key.Id, now.AddMinutes(1));
        Assert.Equal(revoked.RevokedAt, again!.RevokedAt);
        var (ids, after) = await stores.Keys.GetKeyEventsAsync(before);
        Assert.Contains(key.Id, ids);
        Assert.True(after > before);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Rotate_KeepsPreviousSecretUntilGrace(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var now = DateTimeOffset.UtcNow;
        var key = NewKey("t", "k", now);
        var first = KeySecrets.NewSecret();
        await stores.Keys.InsertAsync(key, KeySecrets.Hash(first));
        var second = KeySecrets.NewSecret();
        var rotated = await stores.Keys.RotateAsync("t", key.Id, KeySecrets.Hash(second), KeySecrets.PrefixOf(second), now, now.AddMinutes(5));
        Assert.Equal(KeySecrets.PrefixOf(second), rotated!.Prefix);
        var old = await stores.Keys.FindByHashAsync(KeySecrets.Hash(first));
        Assert.Equal(now.AddMinutes(5).ToUnixTimeMilliseconds(), old!.SecretExpiresAt!.Value.ToUnixTimeMilliseconds());
        Assert.Null((await stores.Keys.FindByHashAsync(KeySecrets.Hash(second)))!.SecretExpiresAt);

        var third = KeySecrets.NewSecret();
        await stores.Keys.RotateAsync("t", key.Id, KeySecrets.Hash(third), KeySecrets.PrefixOf(third), now, null);
        Assert.Null(await stores.Keys.FindByHashAsync(KeySecrets.Hash(first)));
        Assert.Null(await stores.Keys.FindByHashAsync(KeySecrets.Hash(second)));
        Assert.NotNull(await stores.Keys.FindByHashAsync(KeySecrets.Hash(third)));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Touch_StampsLastUseWithoutGoingBackwards(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var now = DateTimeOffset.UtcNow;
        var key = NewKey("t", "k", now);
        await stores.Keys.InsertAsync(key, KeySecrets.Hash(KeySecrets.NewSecret()));
        await stores.Keys.TouchAsync([new(key.Id, now.AddMinutes(2))]);
        await stores.Keys.TouchAsync([new(key.Id, now.AddMinutes(1))]);
        Assert.Equal(now.AddMinutes(2).ToUnixTimeMilliseconds(), (await stores.Keys.GetAsync("t", key.Id))!.LastUsedAt!.Value.ToUnixTimeMilliseconds());
    }
}
