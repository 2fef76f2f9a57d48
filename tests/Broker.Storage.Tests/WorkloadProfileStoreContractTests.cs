using Broker.Core;
using Broker.Core.Grants;
using Broker.Identity;
using Broker.Keys;

namespace Broker.Storage.Tests;

public sealed class WorkloadProfileStoreContractTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, 123, TimeSpan.Zero);

    private static WorkloadProfile Profile(string tenant, string name, string id) =>
        new(id, tenant, name, "k8s", "system:serviceaccount:ci:*", new SortedDictionary<string, string>(StringComparer.Ordinal) { ["env"] = "prod*" },
            new WorkloadKeyFields(Credentials: ["app-*"], Tokens: new TokenGrant(["https://api"], ["read"]), Subjects: SubjectsGrant.Any, RateLimitPerMinute: 60), 900, T0);

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Insert_Get_Find_List_Delete_PerTenant(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var store = stores.WorkloadProfiles;
        Assert.True(await store.InsertAsync(Profile("default", "ci", "p1")));
        Assert.True(await store.InsertAsync(Profile("default", "build", "p2")));
        Assert.True(await store.InsertAsync(Profile("acme", "ci", "p3")));
        Assert.False(await store.InsertAsync(Profile("default", "ci", "p4")));

        Assert.Equal(["build", "ci"], (await store.ListAsync("default")).Select(p => p.Name));
        var ci = (await store.GetAsync("default", "ci"))!;
        Assert.Equal(("p1", "k8s", "system:serviceaccount:ci:*", 900, T0), (ci.Id, ci.Issuer, ci.SubjectPattern, ci.TtlSeconds, ci.CreatedAt));
        Assert.Equal("prod*", ci.Claims["env"]);
        Assert.Equal(["app-*"], ci.Key.Credentials!);
        Assert.Equal(["https://api"], ci.Key.Tokens!.Audiences);
        Assert.Equal((SubjectsGrant.Any, 60), (ci.Key.Subjects, ci.Key.RateLimitPerMinute));
        Assert.Equal(["acme", "default"], (await store.FindAsync("ci")).Select(p => p.Tenant));
        Assert.Null(await store.GetAsync("acme", "build"));

        Assert.NotNull(await store.DeleteAsync("default", "ci", T0));
        Assert.Null(await store.DeleteAsync("default", "ci", T0));
        Assert.Single(await store.FindAsync("ci"));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Delete_AnswersTheUnexpiredKeysItIssued_AndNoKeyIsAddedAfterIt(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var store = stores.WorkloadProfiles;
        Assert.True(await store.InsertAsync(Profile("default", "ci", "p1")));
        Assert.True(await store.AddKeyAsync("p1", "k_live", T0.AddMinutes(15)));
        Assert.True(await store.AddKeyAsync("p1", "k_old", T0.AddMinutes(-1)));

        Assert.Equal(["k_live"], await store.DeleteAsync("default", "ci", T0) ?? []);
        Assert.False(await store.AddKeyAsync("p1", "k_late", T0.AddMinutes(15)));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Replace_SwapsTheFields_AnswersTheOldKeys_AndTheOldProfileIssuesNoMore(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var store = stores.WorkloadProfiles;
        Assert.True(await store.InsertAsync(Profile("default", "ci", "p1")));
        Assert.True(await store.InsertAsync(Profile("acme", "ci", "p2")));
        Assert.True(await store.AddKeyAsync("p1", "k_live", T0.AddMinutes(15)));
        Assert.True(await store.AddKeyAsync("p1", "k_old", T0.AddMinutes(-1)));

        var narrower = Profile("default", "ci", "p3") with { SubjectPattern = "system:serviceaccount:ci:deploy", TtlSeconds = 300 };
        Assert.Equal(["k_live"], await store.ReplaceAsync(narrower, T0) ?? []);
        var read = (await store.GetAsync("default", "ci"))!;
        Assert.Equal(("p3", "system:serviceaccount:ci:deploy", 300), (read.Id, read.SubjectPattern, read.TtlSeconds));
        Assert.Equal("p2", (await store.GetAsync("acme", "ci"))!.Id); // another tenant's profile of that name is untouched
        Assert.False(await store.AddKeyAsync("p1", "k_late", T0.AddMinutes(15)));
        Assert.True(await store.AddKeyAsync("p3", "k_new", T0.AddMinutes(5)));
        Assert.Null(await store.ReplaceAsync(Profile("default", "missing", "p4"), T0));
        Assert.Null(await store.GetAsync("default", "missing"));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Prune_DeletesOnlyKeysExpiredBeforeTheCutoff_WithTheirKeyRows(string kind)
    {
        using var stores = StoreKinds.Create(kind);
        var store = stores.WorkloadProfiles;
        Assert.True(await store.InsertAsync(Profile("default", "ci", "p1")));
        foreach (var (id, expires) in new[] { ("k_expired", T0.AddDays(-2)), ("k_recent", T0.AddHours(-1)) })
        {
            var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id));
            await stores.Keys.InsertAsync(new ApiKeyRecord(id, "default", "system:serviceaccount:ci:runner", Role.Agent, "brk_x", [], [], null, null, T0.AddDays(-3), expires, null, null, false), hash);
            Assert.True(await store.AddKeyAsync("p1", id, expires));
        }

        Assert.Equal(1, await store.PruneAsync(T0.AddDays(-1)));
        Assert.Equal(["k_recent"], (await stores.Keys.ListAsync("default")).Select(k => k.Id));
        Assert.Equal(0, await store.PruneAsync(T0.AddDays(-1)));
    }
}
