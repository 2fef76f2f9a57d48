using Broker.Approvals;
using Broker.Storage.Postgres.Approvals;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Approvals;

namespace Broker.Storage.Tests;

/// <summary>
/// The approvals store on every database: an approval reads back as written, and a decision and a use are single
/// conditional writes (the second decision, a use by another key, with other parameters, after expiry or twice: no
/// change).
/// </summary>
public sealed class ApprovalStoreContractTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, 123, TimeSpan.Zero);

    private static (IApprovalStore Store, IDisposable Owner) Create(string kind)
    {
        if (kind == "postgres")
        {
            var stores = PostgresStores.Create();
            return (new PostgresApprovalStore(stores.Database), stores);
        }

        var directory = new TempDirectory();
        var database = new SqliteDatabase(Path.Combine(directory.Path, "broker.db"));
        SqliteMigrations.Apply(database);
        return (new SqliteApprovalStore(database), directory);
    }

    private static Approval Pending(string tenant, string id) => new(
        id, tenant, "k_agent", "pay-agent", ApprovalAsk.ForToken("https://pay.example", "refund-42", ["payments:write", "orders:read"], 300, "carol"),
        ApprovalStatuses.Pending, T0, T0.AddMinutes(10));

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Insert_Get_List_Decide_Consume(string kind)
    {
        var (store, owner) = Create(kind);
        using var _ = owner;
        var pending = Pending("default", "apr_one");
        await store.InsertAsync(pending);
        await store.InsertAsync(Pending("default", "apr_two") with { CreatedAt = T0.AddSeconds(1) });
        await store.InsertAsync(Pending("acme", "apr_one"));

        var read = await store.GetAsync("default", "apr_one");
        Assert.Equal(pending.Ask with { Scopes = Array.Empty<string>() }, read!.Ask with { Scopes = Array.Empty<string>() });
        Assert.Equal(["orders:read", "payments:write"], read.Ask.Scopes);
        Assert.Equal((T0, T0.AddMinutes(10), "pay-agent", "k_agent"), (read.CreatedAt, read.ExpiresAt, read.RequestedBy, read.KeyId));
        Assert.Null(await store.GetAsync("other", "apr_one"));
        Assert.Equal(["apr_two", "apr_one"], (await store.ListAsync("default", null, 10)).Select(a => a.Id));
        Assert.Single(await store.ListAsync("default", T0, 1));

        var decision = new ApprovalDecision(ApprovalStatuses.Approved, "k_alice", "alice", T0.AddMinutes(1), "ok", T0.AddMinutes(11), 60, ["orders:read"]);
        Assert.True(await store.DecideAsync("default", "apr_one", decision));
        Assert.False(await store.DecideAsync("default", "apr_one", decision with { Status = ApprovalStatuses.Denied }));
        Assert.False(await store.DecideAsync("default", "apr_two", decision with { DecidedAt = T0.AddMinutes(10) }));
        var approved = await store.GetAsync("default", "apr_one");
        Assert.Equal((ApprovalStatuses.Approved, "alice", "ok", 60, T0.AddMinutes(11)), (approved!.StoredStatus, approved.DecidedBy, approved.Reason, approved.GrantedLifetimeSeconds, approved.ExpiresAt));
        Assert.Equal(["orders:read"], approved.GrantedScopes);

        var hash = pending.Ask.Hash;
        Assert.False(await store.ConsumeAsync("default", "apr_one", "k_other", hash, T0.AddMinutes(2)));
        Assert.False(await store.ConsumeAsync("default", "apr_one", "k_agent", "0" + hash[1..], T0.AddMinutes(2)));
        Assert.False(await store.ConsumeAsync("default", "apr_one", "k_agent", hash, T0.AddMinutes(11)));
        Assert.False(await store.ConsumeAsync("default", "apr_two", "k_agent", hash, T0.AddMinutes(2)));
        Assert.True(await store.ConsumeAsync("default", "apr_one", "k_agent", hash, T0.AddMinutes(2)));
        Assert.False(await store.ConsumeAsync("default", "apr_one", "k_agent", hash, T0.AddMinutes(2)));
        Assert.Equal(T0.AddMinutes(2), (await store.GetAsync("default", "apr_one"))!.ConsumedAt);

        // A use that delivered nothing is given back only by the key that made it, for exactly that use.
        Assert.False(await store.ReleaseAsync("default", "apr_one", "k_other", T0.AddMinutes(2)));
        Assert.False(await store.ReleaseAsync("default", "apr_one", "k_agent", T0.AddMinutes(3)));
        Assert.False(await store.ReleaseAsync("other", "apr_one", "k_agent", T0.AddMinutes(2)));
        Assert.True(await store.ReleaseAsync("default", "apr_one", "k_agent", T0.AddMinutes(2)));
        Assert.False(await store.ReleaseAsync("default", "apr_one", "k_agent", T0.AddMinutes(2)));
        Assert.Null((await store.GetAsync("default", "apr_one"))!.ConsumedAt);
        Assert.True(await store.ConsumeAsync("default", "apr_one", "k_agent", hash, T0.AddMinutes(4)));
        Assert.Equal(T0.AddMinutes(4), (await store.GetAsync("default", "apr_one"))!.ConsumedAt);
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "broker-approval-store", Guid.NewGuid().ToString("n"));

        public TempDirectory() => Directory.CreateDirectory(Path);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Prune_DeletesOnlyWhatExpiredBeforeTheCutoff_InEveryTenant(string kind)
    {
        var (store, owner) = Create(kind);
        using var _ = owner;
        await store.InsertAsync(Pending("default", "apr_old"));
        await store.InsertAsync(Pending("acme", "apr_old"));
        await store.InsertAsync(Pending("default", "apr_new") with { ExpiresAt = T0.AddDays(40) });

        // Cut-off exactly at the old ones' expiry: "before" is strict, nothing goes.
        Assert.Equal(0, await store.PruneAsync(T0.AddMinutes(10)));
        Assert.Equal(2, await store.PruneAsync(T0.AddDays(1)));
        Assert.Null(await store.GetAsync("default", "apr_old"));
        Assert.Null(await store.GetAsync("acme", "apr_old"));
        Assert.NotNull(await store.GetAsync("default", "apr_new"));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task ExpiryDue_ListsEveryTenantsUnclaimedExpiries_AndAClaimIsTakenOnce(string kind)
    {
        var (store, owner) = Create(kind);
        using var _ = owner;
        await store.InsertAsync(Pending("default", "apr_a"));
        await store.InsertAsync(Pending("acme", "apr_b") with { ExpiresAt = T0.AddMinutes(5) });
        await store.InsertAsync(Pending("default", "apr_later") with { ExpiresAt = T0.AddMinutes(30) });

        Assert.Empty(await store.ListExpiryDueAsync(T0.AddMinutes(4), 10));
        Assert.Equal(["apr_b", "apr_a"], (await store.ListExpiryDueAsync(T0.AddMinutes(10), 10)).Select(a => a.Id)); // oldest expiry first, at or before now
        Assert.Equal(["apr_b"], (await store.ListExpiryDueAsync(T0.AddMinutes(10), 1)).Select(a => a.Id));

        Assert.True(await store.ClaimExpiryAsync("acme", "apr_b"));
        Assert.False(await store.ClaimExpiryAsync("acme", "apr_b"));
        Assert.False(await store.ClaimExpiryAsync("default", "apr_b")); // another tenant's id
        Assert.Equal(["apr_a"], (await store.ListExpiryDueAsync(T0.AddMinutes(10), 10)).Select(a => a.Id));

        // A claim given back is due again; only a claimed one can be given back.
        Assert.True(await store.ClaimExpiryAsync("acme", "apr_b", claimed: false));
        Assert.False(await store.ClaimExpiryAsync("acme", "apr_b", claimed: false));
        Assert.Equal(["apr_b", "apr_a"], (await store.ListExpiryDueAsync(T0.AddMinutes(10), 10)).Select(a => a.Id));

        // A decision starts a new expiry: an approval decided after a (skewed) replica claimed its first one is due again.
        Assert.True(await store.ClaimExpiryAsync("default", "apr_later"));
        var decision = new ApprovalDecision(ApprovalStatuses.Approved, "k_alice", "alice", T0.AddMinutes(20), "ok", T0.AddMinutes(40), null, null);
        Assert.True(await store.DecideAsync("default", "apr_later", decision));
        Assert.Equal(["apr_b", "apr_a", "apr_later"], (await store.ListExpiryDueAsync(T0.AddMinutes(40), 10)).Select(a => a.Id));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    [PostgresStore]
    public async Task Announcements_AreClaimedOnceInOrder_NeverAheadOfAnEarlierOneOfTheSameApproval(string kind)
    {
        var (store, owner) = Create(kind);
        using var _ = owner;
        await store.AddAnnouncementAsync("default", "apr_a", """{"event":"requested"}""", T0);
        await store.AddAnnouncementAsync("default", "apr_b", """{"event":"requested","b":1}""", T0);
        await store.AddAnnouncementAsync("default", "apr_a", """{"event":"approved"}""", T0.AddSeconds(1));
        await store.AddAnnouncementAsync("acme", "apr_a", """{"event":"requested","acme":1}""", T0.AddSeconds(2));

        Assert.Empty(await store.ClaimAnnouncementsAsync(T0.AddSeconds(-1), T0.AddMinutes(2), 10)); // none due yet
        var first = await store.ClaimAnnouncementsAsync(T0.AddSeconds(5), T0.AddMinutes(2), 10);
        Assert.Equal([("default", "apr_a"), ("default", "apr_b"), ("acme", "apr_a")], first.Select(a => (a.Tenant, a.ApprovalId)));
        Assert.Equal(("""{"event":"requested"}""", 0, T0), (first[0].Body, first[0].Attempts, first[0].CreatedAt));
        Assert.Empty(await store.ClaimAnnouncementsAsync(T0.AddSeconds(6), T0.AddMinutes(2), 10)); // claimed; apr_a's decision waits behind its request

        await store.DeleteAnnouncementAsync(first[0].Id);
        var decision = Assert.Single(await store.ClaimAnnouncementsAsync(T0.AddSeconds(7), T0.AddMinutes(2), 10));
        Assert.Equal("""{"event":"approved"}""", decision.Body);

        // A failed attempt is due again at its next time, and its claim ends; a lapsed claim is claimable again.
        await store.RetryAnnouncementAsync(first[1].Id, 1, T0.AddSeconds(30));
        Assert.Empty(await store.ClaimAnnouncementsAsync(T0.AddSeconds(20), T0.AddMinutes(2), 10));
        var retried = Assert.Single(await store.ClaimAnnouncementsAsync(T0.AddSeconds(31), T0.AddMinutes(5), 10));
        Assert.Equal((first[1].Id, 1), (retried.Id, retried.Attempts));
        var lapsed = await store.ClaimAnnouncementsAsync(T0.AddMinutes(2), T0.AddMinutes(4), 10);
        Assert.Equal([decision.Id, first[2].Id], lapsed.Select(a => a.Id));
        Assert.Single(await store.ClaimAnnouncementsAsync(T0.AddMinutes(5), T0.AddMinutes(6), 1));
    }

    [Fact]
    public async Task PruneService_KeepsTheRetention_AndZeroKeepsEverything()
    {
        var (store, owner) = Create("sqlite");
        using var _ = owner;
        await store.InsertAsync(Pending("default", "apr_old"));
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0.AddDays(30));
        var logger = Microsoft.Extensions.Logging.Abstractions.NullLogger<ApprovalPruneService>.Instance;

        var off = new ApprovalPruneService(store, Microsoft.Extensions.Options.Options.Create(new ApprovalOptions { Retention = TimeSpan.Zero }), time, logger);
        Assert.Equal(0, await off.PruneOnceAsync());

        var service = new ApprovalPruneService(store, Microsoft.Extensions.Options.Options.Create(new ApprovalOptions()), time, logger);
        Assert.Equal(0, await service.PruneOnceAsync()); // expired 30 days less 10 minutes ago: kept
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(1, await service.PruneOnceAsync());
        Assert.Null(await store.GetAsync("default", "apr_old"));
    }
}
