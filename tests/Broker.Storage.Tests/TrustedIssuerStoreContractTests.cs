using Broker.Core;
using Broker.Identity;
using Broker.Keys;

namespace Broker.Storage.Tests;

public sealed class TrustedIssuerStoreContractTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, 123, TimeSpan.Zero);

    private static TrustedIssuer Issuer(string tenant, string name, string? jwks = null) =>
        new(tenant, name, "https://login.example.com", jwks is null ? "https://login.example.com/jwks.json" : null, jwks, ["broker", "api"], "email", IssuerUses.Users, T0);

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Insert_List_Delete_PerTenant(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var store = stores.TrustedIssuers;
        Assert.True(await store.InsertAsync(Issuer("default", "corp")));
        Assert.True(await store.InsertAsync(Issuer("default", "apps", """{"keys":[]}""")));
        Assert.True(await store.InsertAsync(Issuer("acme", "corp")));
        Assert.False(await store.InsertAsync(Issuer("default", "corp")));

        var listed = await store.ListAsync("default");
        Assert.Equal(["apps", "corp"], listed.Select(i => i.Name));
        var corp = listed[1];
        Assert.Equal(("https://login.example.com/jwks.json", null, "email", "users", T0), (corp.JwksUri, corp.Jwks, corp.SubjectClaim, corp.Use, corp.CreatedAt));
        Assert.Equal(["broker", "api"], corp.Audiences);
        Assert.Equal("""{"keys":[]}""", listed[0].Jwks);

        Assert.True(await store.DeleteAsync("default", "corp"));
        Assert.False(await store.DeleteAsync("default", "corp"));
        Assert.Equal(["apps"], (await store.ListAsync("default")).Select(i => i.Name));
        Assert.Single(await store.ListAsync("acme"));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task CallerKeySubject_IsStoredAndRead(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var key = new ApiKeyRecord("k_subject", "default", "alice-laptop", Role.Caller, "brk_abc", [], ["agent-*"], null, null, T0, null, null, null, false, Subject: "alice");
        await stores.Keys.InsertAsync(key, new byte[32]);
        var stored = await stores.Keys.FindByHashAsync(new byte[32]);
        Assert.Equal("alice", stored!.Key.Subject);
        Assert.Equal("alice", stored.Key.EffectiveSubject);
    }
}
