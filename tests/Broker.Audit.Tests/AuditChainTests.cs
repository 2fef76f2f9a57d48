namespace Broker.Audit.Tests;

public sealed class AuditChainTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Chain_FirstRecord_StartsAtOneOnGenesis()
    {
        var record = AuditRecord.Chain(Entries.Read("t1", 1), AuditChainHead.Genesis, T0);

        Assert.Equal(1, record.Id);
        Assert.Equal(new string('0', 64), record.PrevHash);
        Assert.Matches("^[0-9a-f]{64}$", record.Hash);
        Assert.Equal(AuditChain.ComputeHash(record), record.Hash);
    }

    [Fact]
    public void Chain_NextRecord_LinksToPreviousHash()
    {
        var first = AuditRecord.Chain(Entries.Read("t1", 1), AuditChainHead.Genesis, T0);
        var second = AuditRecord.Chain(Entries.Read("t1", 2), first.AsHead, T0);

        Assert.Equal(2, second.Id);
        Assert.Equal(first.Hash, second.PrevHash);
    }

    [Fact]
    public void Hash_CoversEveryField()
    {
        var record = AuditRecord.Chain(Entries.Read("t1", 1, valueHmac: new string('a', 64)), AuditChainHead.Genesis, T0);
        AuditRecord[] variants =
        [
            record with { Id = 2 },
            record with { Time = T0.AddTicks(10) },
            record with { Tenant = "t2" },
            record with { Actor = record.Actor with { KeyId = "key-2" } },
            record with { Actor = record.Actor with { Name = "other" } },
            record with { Actor = record.Actor with { Role = "admin" } },
            record with { Action = AuditActions.TokenMint },
            record with { Target = "x" },
            record with { Outcome = AuditOutcomes.Denied },
            record with { Reason = "r" },
            record with { RequestId = "req-x" },
            record with { ClientAddress = "10.0.0.2" },
            record with { UserAgent = "other" },
            record with { ValueHmac = new string('b', 64) },
            record with { PrevHash = new string('1', 64) },
        ];

        var hashes = variants.Select(AuditChain.ComputeHash).Append(record.Hash).ToHashSet();
        Assert.Equal(variants.Length + 1, hashes.Count);
    }

    [Fact]
    public void Hash_IsUnambiguous_AcrossFieldBoundariesAndNulls()
    {
        var a = AuditRecord.Chain(Entries.Read("t1", 1) with { Target = "ab", Reason = "c" }, AuditChainHead.Genesis, T0);
        var b = a with { Target = "a", Reason = "bc" };
        var withNull = a with { Reason = null };
        var withEmpty = a with { Reason = string.Empty };

        Assert.NotEqual(AuditChain.ComputeHash(a), AuditChain.ComputeHash(b));
        Assert.NotEqual(AuditChain.ComputeHash(withNull), AuditChain.ComputeHash(withEmpty));
    }

    [Fact]
    public void Time_IsUtcMicrosecondsWithZ_AndRoundTrips()
    {
        var local = new DateTimeOffset(2025, 3, 1, 14, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567);

        var text = AuditTime.ToText(local);

        Assert.Equal("2025-03-01T12:00:00.123456Z", text);
        Assert.Equal(AuditTime.Normalize(local), AuditTime.Parse(text));
        Assert.False(AuditTime.TryParse("2025-03-01T12:00:00Z", out _));
    }

    [Fact]
    public void Hash_OfKnownRecord_IsStable()
    {
        // Pins the v1 encoding: changing it breaks every stored chain.
        var record = new AuditRecord(
            1, T0, "default", new AuditActor("k1", "n1", "admin"), AuditActions.KeyCreate, "k2", AuditOutcomes.Allowed,
            null, "r1", null, null, null, AuditChain.GenesisHash, string.Empty);

        Assert.Equal(AuditChain.ComputeHash(record), AuditChain.ComputeHash(record with { Hash = "ignored" }));
        Assert.Equal(KnownHash, AuditChain.ComputeHash(record));
    }

    // Computed independently from the documented encoding (docs/audit.md) with Python hashlib.
    private const string KnownHash = "cba176968686385b330d5ad660a22be043d990be6eb812332914786f460e1b49";
}
