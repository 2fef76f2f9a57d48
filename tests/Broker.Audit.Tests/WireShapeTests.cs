using System.Text.Json;

namespace Broker.Audit.Tests;

/// <summary>The host serialises these types with its own web options: the contract's shape must hold there too.</summary>
public sealed class WireShapeTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void AuditRecord_WithWebDefaults_HasTheContractFields_AndTheHashedTime()
    {
        var record = AuditRecord.Chain(Entries.Denied("t1", 1), AuditChainHead.Genesis, new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(1)));

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(record, Web));
        var names = json.RootElement.EnumerateObject().Select(p => p.Name).ToList();

        Assert.Equal(["id", "time", "tenant", "actor", "action", "target", "outcome", "reason", "requestId", "prevHash", "hash"], names);
        Assert.Equal("2025-01-02T02:04:05.000000Z", json.RootElement.GetProperty("time").GetString());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("actor").GetProperty("keyId").ValueKind);
    }

    [Fact]
    public void AuditVerification_OmitsBrokenAtWhenValid()
    {
        Assert.Equal("""{"valid":true,"count":3}""", JsonSerializer.Serialize(new AuditVerification(true, 3, null), Web));
        Assert.Equal("""{"valid":false,"count":3,"brokenAt":2}""", JsonSerializer.Serialize(new AuditVerification(false, 3, 2), Web));
    }
}
