using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Broker.Core;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Server.Tests;

/// <summary>
/// Every route the app maps (read from its <see cref="EndpointDataSource"/>, so a new route is covered without a
/// change here) gets a deterministic, seeded set of hostile requests with an admin key, an agent key and no key.
/// None may answer 5xx; every 4xx is problem+json with type, title, status and detail; no error body carries a
/// presented key or a secret value; and the keys and the stored credential are unchanged afterwards.
/// </summary>
public sealed class HostileInputFuzzTests
{
    private const int Seed = 20_261_123;
    private const string StoredSecret = "sk-fuzz-stored-secret-value-4b1d";
    private const string SecretMarker = "brk_fuzz-presented-secret-marker-9c2e";

    [Fact]
    public Task EveryRoute_UnderHostileInput_AnswersWithout5xx_AsProblemJson_AndChangesAndLeaksNothing_Sqlite() => FuzzAsync(new BrokerApp());

    [PostgresFact]
    public async Task EveryRoute_UnderHostileInput_AnswersWithout5xx_AsProblemJson_AndChangesAndLeaksNothing_Postgres()
    {
        using var schema = PostgresSchema.Create();
        await FuzzAsync(new BrokerApp(settings: schema.Settings));
    }

    private static async Task FuzzAsync(BrokerApp broker)
    {
        using var app = broker;
        await app.PutAsync("fuzz_keep", StoredSecret);
        var (_, agentKey) = await app.CreateKeyAsync(new { name = "fuzz-agent", role = "agent", credentials = new[] { "*" }, agents = new[] { "*" } });
        var keys = new (string Name, string? Key, Role? Role)[] { ("admin", BrokerApp.AdminKey, Role.Admin), ("agent", agentKey, Role.Agent), ("no key", null, null) };
        var routes = FuzzRoute.All(app.Services.GetRequiredService<EndpointDataSource>());
        Assert.Contains(routes, r => r.Name == "POST /v1/keys/{id}/rotate");
        Assert.Contains(routes, r => r.Name == "PUT /v1/credentials/{name}");
        var before = await SnapshotAsync(app, agentKey);

        var random = new Random(Seed);
        var work = routes.SelectMany(route => HostileRequests.For(route, random, SecretMarker).SelectMany(request =>
            request.SetsAuthorization
                ? [(route, request, "own Authorization", (string?)null)]
                : keys.Where(k => request.ForEveryKey || route.Admits(k.Role)).Select(k => (route, request, k.Name, k.Key)))).ToArray();
        var failures = new ConcurrentBag<(string Case, string Key)>();
        var secrets = new[] { BrokerApp.AdminKey, agentKey, StoredSecret, SecretMarker };
        using var client = app.CreateClient();
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, ct) =>
        {
            var (route, request, keyName, key) = item;
            var failure = await SendAsync(client, request, key, secrets, ct);
            if (failure is not null)
            {
                failures.Add(($"{route.Name} [{request.Variant}]: {failure}", keyName));
            }
        });

        // One line per route and variant (the keys that hit it in brackets), so a report stays readable.
        var report = failures.GroupBy(f => f.Case, f => f.Key).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} (with {string.Join(", ", g.Distinct().Order(StringComparer.Ordinal))})").ToArray();
        Assert.True(failures.IsEmpty, $"{failures.Count} of {work.Length} hostile requests failed, {report.Length} distinct:\n" + string.Join("\n", report.Take(150)));
        Assert.Equal(before, await SnapshotAsync(app, agentKey));
    }

    private static async Task<string?> SendAsync(HttpClient client, HostileRequest hostile, string? key, string[] secrets, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(hostile.Method), hostile.PathAndQuery);
        if (hostile.Body is not null)
        {
            request.Content = new ByteArrayContent(hostile.Body);
            if (hostile.ContentType is not null && !request.Content.Headers.TryAddWithoutValidation("Content-Type", hostile.ContentType))
            {
                return "the test could not set the Content-Type";
            }
        }

        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        foreach (var (name, value) in hostile.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The in-memory server rethrows what the app did not handle: a crash the app would answer 500.
            return $"unhandled {ex.GetType().Name}: {ex.Message}";
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (status >= 500)
            {
                return $"{status} {Short(text)}";
            }

            if (status < 400)
            {
                return hostile.MustRefuse ? $"{status}: accepted what must be refused" : null;
            }

            if (secrets.FirstOrDefault(s => text.Contains(s, StringComparison.Ordinal)) is { } leaked)
            {
                return $"{status} error body carries a presented key or secret value ({leaked[..8]}…)";
            }

            // The token endpoint answers its 400s as RFC 6749 §5.2 requires: {"error": code}, nothing more.
            if (status == 400 && hostile.PathAndQuery.StartsWith("/v1/oauth/token", StringComparison.Ordinal))
            {
                return response.Content.Headers.ContentType?.MediaType == "application/json"
                    && text is """{"error":"invalid_request"}""" or """{"error":"unsupported_grant_type"}""" or """{"error":"invalid_grant"}"""
                    ? null : $"{status} token endpoint error not RFC 6749: {Short(text)}";
            }

            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                return $"{status} with Content-Type '{response.Content.Headers.ContentType}', not application/problem+json: {Short(text)}";
            }

            try
            {
                using var json = JsonDocument.Parse(text);
                var root = json.RootElement;
                var shaped = root.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                    && root.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String
                    && root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String
                    && root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Number && s.GetInt32() == status;
                return shaped ? null : $"{status} problem without type, title, detail or a matching status: {Short(text)}";
            }
            catch (JsonException)
            {
                return $"{status} body is not JSON: {Short(text)}";
            }
        }
    }

    /// <summary>What no hostile request may change: the keys (and their state) and the stored credential.</summary>
    private static async Task<string> SnapshotAsync(BrokerApp app, string agentKey)
    {
        using var admin = app.Admin();
        var keys = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray()
            .Select(k => $"{k!["id"]}:{k["prefix"]}:{k["status"]}:{k["revokedAt"]}:{k["expiresAt"]}").Order(StringComparer.Ordinal);
        using var agent = app.ClientWith(agentKey);
        var stored = await BrokerApp.JsonAsync(await agent.GetAsync("/v1/agent/credentials/fuzz_keep"));
        return string.Join("\n", keys) + $"\nfuzz_keep v{stored["version"]} {stored["value"]}";
    }

    /// <summary>The part of a body that says what went wrong, without the per-request ids.</summary>
    private static string Short(string text)
    {
        try
        {
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("detail", out var detail))
            {
                return $"\"{json.RootElement.GetProperty("title")}: {detail}\"";
            }
        }
        catch (JsonException)
        {
        }

        return text.Length <= 120 ? text : text[..120] + "…";
    }
}
