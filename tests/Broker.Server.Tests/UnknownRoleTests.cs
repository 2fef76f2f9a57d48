using System.Collections.Concurrent;
using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broker.Server.Tests;

/// <summary>A role the broker does not know, written into the store behind its back, never reads as any role.</summary>
public sealed class UnknownRoleTests
{
    [Fact]
    public async Task UnknownRoleInTheStore_AuthenticatesAsAnUnknownKey_AndIsLoggedWithoutTheKey()
    {
        var logs = new ConcurrentQueue<string>();
        using var app = new BrokerApp(services: s => s.AddLogging(b => b.AddProvider(new LogCapture(logs))));
        var (id, key) = await app.CreateKeyAsync(new { name = "will-be-superuser", role = "caller" });

        // Someone with the database file changes the role: never used through the broker, so nothing is cached.
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(app.DataDir, "broker.db"), Pooling = false }.ToString()))
        {
            await connection.OpenAsync();
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE api_keys SET role = 'superuser' WHERE id = $id";
            update.Parameters.AddWithValue("$id", id);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        using var tampered = app.ClientWith(key);
        using var unknown = app.ClientWith("brk_nobody-has-this-key-aaaaaaaaaaa");
        foreach (var url in new[] { "/v1/keys", "/v1/credentials", "/v1/audit" })
        {
            using var response = await tampered.GetAsync(url);
            using var reference = await unknown.GetAsync(url);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(await reference.Content.ReadAsStringAsync(), await response.Content.ReadAsStringAsync());
        }

        using var admin = app.Admin();
        var list = await admin.GetStringAsync("/v1/keys");
        Assert.DoesNotContain(id, list, StringComparison.Ordinal);
        Assert.DoesNotContain("superuser", list, StringComparison.Ordinal);

        var inconsistency = logs.Where(l => l.Contains("Store inconsistency", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(inconsistency);
        Assert.All(inconsistency, l => Assert.Contains(id, l, StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Contains(key, StringComparison.Ordinal) || l.Contains(key[12..], StringComparison.Ordinal));
    }
}
