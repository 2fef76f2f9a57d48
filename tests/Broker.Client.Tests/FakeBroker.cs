using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Broker.Client.Tests;

/// <summary>
/// An in-memory broker speaking the agent wire contract of API.md on a real Kestrel listener
/// (127.0.0.1, port 0, restartable on the same port): the credentials feed with since/ETag/304/wait,
/// per-subject reads, tokens, STS and inbound key verification, all behind a Bearer key check.
/// </summary>
public sealed class FakeBroker : ITestBroker
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _credentials = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _removed = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Name, string Subject), Entry> _subjectValues = new();
    private readonly Dictionary<string, InboundKey> _inbound = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sequence;
    private WebApplication? _app;
    private int _port;

    private FakeBroker()
    {
    }

    public string AgentKey { get; } = "brk_agent_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public Uri Endpoint => new($"http://127.0.0.1:{_port}");

    public bool IsRunning => _app is not null;

    /// <summary>Feed requests answered (any status).</summary>
    public int FeedRequests;

    /// <summary>Feed requests answered with 304.</summary>
    public int NotModifiedResponses;

    /// <summary>Feed requests that carried <c>wait=</c>.</summary>
    public int LongPollRequests;

    public int StsRequests;

    public JsonObject? LastTokenRequest { get; private set; }

    public JsonObject? LastStsRequest { get; private set; }

    /// <summary>The clock STS expirations are computed from.</summary>
    public TimeProvider StsClock { get; set; } = TimeProvider.System;

    int ITestBroker.StsRequests => Volatile.Read(ref StsRequests);

    public string? LastStsPolicy => LastStsRequest?["policy"] is JsonObject policy ? policy.ToJsonString() : null;

    public int? LastStsDurationSeconds => LastStsRequest?["durationSeconds"]?.GetValue<int>();

    /// <summary>When set, /v1/tokens answers 403 with this problem detail (a broker or proxy that misbehaves).</summary>
    public string? TokenProblemDetail { get; set; }

    /// <summary>When set, /v1/inbound/verify answers 503.</summary>
    public bool VerifyUnavailable { get; set; }

    public static async Task<FakeBroker> StartNewAsync()
    {
        var broker = new FakeBroker();
        await broker.StartAsync(0);
        return broker;
    }

    public Task SetCredentialAsync(string name, string value, string? subject = null)
    {
        lock (_gate)
        {
            if (subject is not null)
            {
                _subjectValues[(name, subject)] = new Entry(name, "generic", 1, value, DateTimeOffset.UtcNow, _sequence);
                return Task.CompletedTask;
            }

            if (_credentials.TryGetValue(name, out var old) && old.Value == value)
            {
                return Task.CompletedTask;
            }

            _sequence++;
            _credentials[name] = new Entry(name, "generic", (old?.Version ?? 0) + 1, value, DateTimeOffset.UtcNow, _sequence);
            _removed.Remove(name);
            SignalLocked();
        }

        return Task.CompletedTask;
    }

    public Task RemoveCredentialAsync(string name)
    {
        lock (_gate)
        {
            if (_credentials.Remove(name))
            {
                _sequence++;
                _removed[name] = _sequence;
                SignalLocked();
            }
        }

        return Task.CompletedTask;
    }

    public Task<string> CreateInboundKeyAsync(string name, string agent, int? rateLimitPerMinute = null, int? quotaPerDay = null, DateTimeOffset? expiresAt = null)
    {
        var key = "brk_caller_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        lock (_gate)
        {
            _inbound[key] = new InboundKey("key_" + name, name, "default", agent, rateLimitPerMinute, quotaPerDay, expiresAt) { Status = "valid" };
        }

        return Task.FromResult(key);
    }

    public Task SetAwsCredentialAsync(string name) => Task.CompletedTask;

    public string KeyIdOf(string key)
    {
        lock (_gate)
        {
            return _inbound[key].Id;
        }
    }

    public Task RevokeInboundKeyAsync(string key) => SetInboundStatusAsync(key, "revoked");

    /// <summary>Makes the key's next verifications answer <paramref name="reason"/> (<c>rate_limited</c>, …) or <c>valid</c>.</summary>
    public Task SetInboundStatusAsync(string key, string reason)
    {
        lock (_gate)
        {
            _inbound[key].Status = reason;
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync()
    {
        var app = _app;
        _app = null;
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public Task RestartAsync() => StartAsync(_port);

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization.ToString() != "Bearer " + AgentKey)
            {
                await Problem(context, 401, "unauthorized", "A valid agent key is required.");
                return;
            }

            await next(context);
        });
        app.MapGet("/v1/agent/credentials", Feed);
        app.MapGet("/v1/agent/credentials/{name}", ReadOne);
        app.MapPost("/v1/tokens", Token);
        app.MapPost("/v1/sts", Sts);
        app.MapPost("/v1/inbound/verify", Verify);
        await app.StartAsync();
        _port = new Uri(app.Urls.First()).Port;
        _app = app;
    }

    private async Task Feed(HttpContext context)
    {
        Interlocked.Increment(ref FeedRequests);
        var query = context.Request.Query;
        long? since = long.TryParse(query["since"], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
        var ifNoneMatch = context.Request.Headers.IfNoneMatch.ToString();
        long? etagSeq = ifNoneMatch.Length > 2 && long.TryParse(ifNoneMatch.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : null;
        int? wait = null;
        if (query.ContainsKey("wait"))
        {
            if (!int.TryParse(query["wait"], NumberStyles.None, CultureInfo.InvariantCulture, out var w) || w > 60)
            {
                await Problem(context, 400, "validation", "wait must be at most 60 seconds.");
                return;
            }

            wait = w;
            Interlocked.Increment(ref LongPollRequests);
        }

        var baseline = since ?? etagSeq;
        Task changed;
        lock (_gate)
        {
            changed = _changed.Task;
            if (baseline is long b && b == _sequence && wait is null && etagSeq == _sequence)
            {
                Interlocked.Increment(ref NotModifiedResponses);
                context.Response.StatusCode = 304;
                return;
            }
        }

        if (baseline is long bl && wait is int seconds && bl == Volatile.Read(ref _sequence))
        {
            var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping, context.RequestAborted);
            await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds(seconds), cts.Token)).ContinueWith(_ => { }, TaskScheduler.Default);
            if (stopping.IsCancellationRequested)
            {
                context.Abort();
                return;
            }

            lock (_gate)
            {
                if (bl == _sequence)
                {
                    Interlocked.Increment(ref NotModifiedResponses);
                    context.Response.StatusCode = 304;
                    return;
                }
            }
        }

        JsonObject body;
        string etag;
        lock (_gate)
        {
            var items = new JsonArray();
            foreach (var c in _credentials.Values.Where(c => since is null || c.Sequence > since).OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                items.Add(new JsonObject { ["name"] = c.Name, ["kind"] = c.Kind, ["version"] = c.Version, ["value"] = c.Value, ["updatedAt"] = c.UpdatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) });
            }

            var removed = new JsonArray();
            if (since is not null)
            {
                foreach (var (name, seq) in _removed.Where(r => r.Value > since))
                {
                    removed.Add(name);
                }
            }

            body = new JsonObject { ["cursor"] = _sequence.ToString(CultureInfo.InvariantCulture), ["credentials"] = items, ["removed"] = removed };
            etag = $"\"{_sequence}\"";
        }

        context.Response.Headers.ETag = etag;
        await context.Response.WriteAsJsonAsync(body);
    }

    private async Task ReadOne(HttpContext context, string name)
    {
        var subject = context.Request.Query["subject"].ToString();
        Entry? entry;
        lock (_gate)
        {
            entry = subject.Length > 0
                ? _subjectValues.GetValueOrDefault((name, subject))
                : _credentials.GetValueOrDefault(name);
        }

        if (entry is null)
        {
            await Problem(context, 404, "not_found", $"Credential '{name}' has no value here.");
            return;
        }

        await context.Response.WriteAsJsonAsync(new JsonObject { ["name"] = entry.Name, ["kind"] = entry.Kind, ["version"] = entry.Version, ["value"] = entry.Value, ["updatedAt"] = entry.UpdatedAt });
    }

    private async Task Token(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        LastTokenRequest = body;
        if (TokenProblemDetail is { } detail)
        {
            await Problem(context, 403, "urn:broker:problem:forbidden", detail);
            return;
        }

        var ttl = body["ttlSeconds"]?.GetValue<int>() ?? 60;
        if (ttl is < 5 or > 3600)
        {
            await Problem(context, 400, "validation", "ttlSeconds must lie in 5..3600.");
            return;
        }

        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["token"] = "eyJhbGciOiJFUzI1NiJ9." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)) + ".sig",
            ["tokenType"] = "Bearer",
            ["expiresAt"] = DateTimeOffset.UtcNow.AddSeconds(ttl),
            ["jti"] = Guid.NewGuid().ToString("N"),
        });
    }

    private async Task Sts(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        LastStsRequest = body;
        var n = Interlocked.Increment(ref StsRequests);
        var duration = body["durationSeconds"]?.GetValue<int>() ?? 900;
        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["accessKeyId"] = $"ASIAFAKE{n:D8}",
            ["secretAccessKey"] = "secret-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["sessionToken"] = "session-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)),
            ["expiration"] = StsClock.GetUtcNow().AddSeconds(duration),
            ["assumedRoleArn"] = "arn:aws:sts::123456789012:assumed-role/agent/session" + n,
        });
    }

    private async Task Verify(HttpContext context)
    {
        if (VerifyUnavailable)
        {
            await Problem(context, 503, "unavailable", "The key store is not ready.");
            return;
        }

        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        var key = body["key"]?.GetValue<string>() ?? string.Empty;
        var agent = body["agent"]?.GetValue<string>() ?? string.Empty;
        JsonObject answer;
        lock (_gate)
        {
            // The real server's order: revoked/expired, then the agent pattern, then rate limit and quota.
            var found = _inbound.GetValueOrDefault(key);
            var reason = found switch
            {
                null => "unknown",
                { Status: "revoked" } => "revoked",
                { ExpiresAt: { } at } when at <= DateTimeOffset.UtcNow => "expired",
                _ when found.Agent != agent => "forbidden",
                { Status: not "valid" } => found.Status,
                { RateLimitPerMinute: { } limit } when found.Uses >= limit => "rate_limited",
                { QuotaPerDay: { } quota } when found.Uses >= quota => "quota_exceeded",
                _ => null,
            };
            if (reason is null)
            {
                found!.Uses++;
                answer = new JsonObject { ["valid"] = true, ["keyId"] = found.Id, ["name"] = found.Name, ["tenant"] = found.Tenant };
            }
            else
            {
                answer = new JsonObject { ["valid"] = false, ["reason"] = reason };
            }
        }

        if (answer["reason"]?.GetValue<string>() is "rate_limited" or "quota_exceeded")
        {
            context.Response.Headers.RetryAfter = "60";
        }

        await context.Response.WriteAsJsonAsync(answer);
    }

    private static Task Problem(HttpContext context, int status, string type, string detail)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { type, title = type, status, detail }, (JsonSerializerOptions?)null, "application/problem+json");
    }

    private void SignalLocked()
    {
        var old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    private sealed record Entry(string Name, string Kind, int Version, string Value, DateTimeOffset UpdatedAt, long Sequence);

    private sealed record InboundKey(string Id, string Name, string Tenant, string Agent, int? RateLimitPerMinute, int? QuotaPerDay, DateTimeOffset? ExpiresAt)
    {
        public string Status { get; set; } = "valid";

        public int Uses { get; set; }
    }
}
