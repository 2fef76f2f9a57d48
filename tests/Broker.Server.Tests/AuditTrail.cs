using System.Text.Json.Nodes;

namespace Broker.Server.Tests;

/// <summary>Reads a tenant's trail through <c>GET /v1/audit</c> (which records nothing itself), oldest first.</summary>
public static class AuditTrail
{
    public static async Task<IReadOnlyList<JsonObject>> ReadAsync(BrokerApp app, string? action = null, string? target = null, string? asKey = null)
    {
        using var client = app.ClientWith(asKey ?? BrokerApp.AdminKey);
        var url = "/v1/audit?limit=1000" + (action is null ? "" : "&action=" + Uri.EscapeDataString(action));
        using var response = await client.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"GET /v1/audit: {(int)response.StatusCode}");
        var items = (await BrokerApp.JsonAsync(response))["items"]!.AsArray().Select(i => i!.AsObject());
        return items.Where(i => target is null || Str(i, "target") == target).ToArray();
    }

    public static string? Str(JsonObject record, string field) => record[field]?.GetValue<string>();

    /// <summary>(outcome, reason) of each record, for compact assertions.</summary>
    public static (string? Outcome, string? Reason)[] Decisions(IEnumerable<JsonObject> records) =>
        records.Select(r => (Str(r, "outcome"), Str(r, "reason"))).ToArray();
}
