using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broker.Server.Tests;

/// <summary>
/// The webhook: each new request is POSTed to a local receiver as JSON with <c>text</c> and the approval's fields,
/// signed with <c>Broker-Signature: sha256=&lt;hex HMAC-SHA256&gt;</c>; a failing webhook never blocks the request.
/// </summary>
public sealed class ApprovalWebhookTests
{
    private const string Secret = "whsec_approvals-test-0123456789abcdef";

    // A Slack-style webhook URL is itself a secret: its path is the credential.
    private const string HookPath = "/services/T0BROKER/B0BROKER/hookpath-secret-0123456789abcdef";

    /// <summary>A local receiver that checks the signature the way docs/approvals.md tells integrators to.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Receiver(WebApplication app) => _app = app;

        private readonly System.Threading.Channels.Channel<(string Body, bool SignatureValid)> _received =
            System.Threading.Channels.Channel.CreateUnbounded<(string Body, bool SignatureValid)>();

        private int _failNext;

        /// <summary>How many POSTs were refused (<see cref="FailNext"/>).</summary>
        public int Refused;

        /// <summary>Answers the next <paramref name="count"/> POSTs 400 (not retried within an attempt), recording nothing.</summary>
        public void FailNext(int count) => Volatile.Write(ref _failNext, count);

        /// <summary>How many POSTs it took that were not read yet.</summary>
        public int Waiting => _received.Reader.Count;

        /// <summary>The next POST the receiver got, in order.</summary>
        public Task<(string Body, bool SignatureValid)> NextAsync() => _received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + HookPath;

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.MapPost(HookPath, async (HttpRequest request) =>
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer);
                var body = buffer.ToArray();
                var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body));
                var presented = request.Headers["Broker-Signature"].ToString();
                var valid = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(presented));
                if (Interlocked.Decrement(ref receiver._failNext) >= 0)
                {
                    Interlocked.Increment(ref receiver.Refused);
                    return Results.BadRequest();
                }

                Interlocked.Exchange(ref receiver._failNext, 0);
                receiver._received.Writer.TryWrite((Encoding.UTF8.GetString(body), valid));
                return Results.Ok();
            });
            await app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task NewRequest_IsPostedSigned_WithTextAndTheApprovalsFields_NeverAValue()
    {
        await using var receiver = await Receiver.StartAsync();
        var logs = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var app = new BrokerApp(
            settings: new() { ["Broker:Approvals:WebhookUrl"] = receiver.Url, ["Broker:Approvals:WebhookSecret"] = Secret },
            services: s => s.AddLogging(b => b.AddProvider(new LogCapture(logs))));
        await app.PutAsync("stripe_key", ApprovalsApiTests.StripeValue);
        var (agent, approver, _) = await ApprovalsApiTests.KeysAsync(app);
        using var a = agent;
        using var b = approver;

        var id = await ApprovalsApiTests.AssertPendingAsync(await agent.GetAsync("/v1/agent/credentials/stripe_key?subject=carol"));
        var (body, valid) = await receiver.NextAsync();

        Assert.True(valid, "the Broker-Signature header is the HMAC-SHA256 of the body under the secret");
        var json = JsonNode.Parse(body)!;
        Assert.Equal(id, json["id"]!.GetValue<string>());
        Assert.Equal("credential", json["kind"]!.GetValue<string>());
        Assert.Equal("stripe_key", json["target"]!.GetValue<string>());
        Assert.Equal("carol", json["onBehalfOf"]!.GetValue<string>());
        Assert.Equal("pay-agent", json["requestedBy"]!.GetValue<string>());
        Assert.Equal("pending", json["status"]!.GetValue<string>());
        Assert.Equal("requested", json["event"]!.GetValue<string>());
        Assert.Contains("stripe_key", json["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(ApprovalsApiTests.StripeValue, body, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, string.Join('\n', logs), StringComparison.Ordinal);
        Assert.DoesNotContain(HookPath, string.Join('\n', logs), StringComparison.Ordinal);
        Assert.DoesNotContain(ApprovalsApiTests.StripeValue, string.Join('\n', logs), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EachDecision_IsPostedToo_NamingWhoDecided_SoApproversSeeARequestWasTaken()
    {
        await using var receiver = await Receiver.StartAsync();
        using var app = new BrokerApp(settings: new() { ["Broker:Approvals:WebhookUrl"] = receiver.Url, ["Broker:Approvals:WebhookSecret"] = Secret });
        var (agent, approver, _) = await ApprovalsApiTests.KeysAsync(app);
        using var a = agent;
        using var b = approver;

        var approved = await ApprovalsApiTests.AssertPendingAsync(await ApprovalsApiTests.MintAsync(agent));
        await ApprovalsApiTests.DecideAsync(approver, approved, "approve", new { reason = "refund checked" });
        var denied = await ApprovalsApiTests.AssertPendingAsync(await ApprovalsApiTests.MintAsync(agent, scopes: ["payments:admin"]));
        await ApprovalsApiTests.DecideAsync(approver, denied, "deny", new { reason = "not this one" });

        var messages = new List<JsonNode>();
        for (var i = 0; i < 4; i++)
        {
            var (body, valid) = await receiver.NextAsync();
            Assert.True(valid);
            messages.Add(JsonNode.Parse(body)!);
        }

        // In the order they happened: each request, then its decision.
        Assert.Equal(
            [(approved, "requested"), (approved, "approved"), (denied, "requested"), (denied, "denied")],
            messages.Select(m => (m["id"]!.GetValue<string>(), m["event"]!.GetValue<string>())));
        var first = messages[1];
        Assert.Equal("alice", first["decidedBy"]!.GetValue<string>());
        Assert.Contains("approved by alice", first["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("refund checked", first["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var second = messages[3];
        Assert.Contains("denied by alice", second["text"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExpiry_IsRecordedAndPostedOnce_ForAnUndecidedOrUnusedApproval_NotForADeniedOrUsedOne()
    {
        await using var receiver = await Receiver.StartAsync();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
        using var app = new BrokerApp(time, new()
        {
            ["Broker:Approvals:WebhookUrl"] = receiver.Url, ["Broker:Approvals:WebhookSecret"] = Secret, ["Broker:Approvals:Ttl"] = "00:05:00",
        });
        var (agent, approver, _) = await ApprovalsApiTests.KeysAsync(app);
        using var a = agent;
        using var b = approver;

        var undecided = await ApprovalsApiTests.AssertPendingAsync(await ApprovalsApiTests.MintAsync(agent));
        var unused = await ApprovalsApiTests.AssertPendingAsync(await ApprovalsApiTests.MintAsync(agent, ttl: 200));
        await ApprovalsApiTests.DecideAsync(approver, unused, "approve", new { reason = "refund checked" });
        var denied = await ApprovalsApiTests.AssertPendingAsync(await ApprovalsApiTests.MintAsync(agent, scopes: ["payments:admin"]));
        await ApprovalsApiTests.DecideAsync(approver, denied, "deny", new { reason = "not this one" });
        var used = await ApprovalsApiTests.AssertPendingAsync(await ApprovalsApiTests.MintAsync(agent, ttl: 100));
        await ApprovalsApiTests.DecideAsync(approver, used, "approve");
        Assert.Equal(HttpStatusCode.OK, (await ApprovalsApiTests.MintAsync(agent, used, ttl: 100)).StatusCode);
        for (var i = 0; i < 7; i++)
        {
            Assert.NotEqual("expired", JsonNode.Parse((await receiver.NextAsync()).Body)!["event"]!.GetValue<string>());
        }

        var desk = app.Services.GetRequiredService<Broker.Approvals.ApprovalDesk>();
        Assert.Equal(0, await desk.AnnounceExpiriesAsync()); // nothing has expired yet
        time.Advance(TimeSpan.FromMinutes(6)); // also ticks the expiry service: the two passes share the work
        await desk.AnnounceExpiriesAsync();
        Assert.Equal(0, await desk.AnnounceExpiriesAsync()); // each expiry is announced once

        var expired = new Dictionary<string, JsonNode>();
        for (var i = 0; i < 2; i++)
        {
            var (body, valid) = await receiver.NextAsync();
            Assert.True(valid);
            var json = JsonNode.Parse(body)!;
            Assert.Equal(("expired", "expired"), (json["event"]!.GetValue<string>(), json["status"]!.GetValue<string>()));
            expired.Add(json["id"]!.GetValue<string>(), json);
        }

        Assert.Equal(new[] { undecided, unused }.Order(), expired.Keys.Order());
        Assert.Contains($"Approval {undecided} expired undecided", expired[undecided]["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains($"Approval {unused}, approved by alice, expired unused", expired[unused]["text"]!.GetValue<string>(), StringComparison.Ordinal);

        // The trail says so too, once each, in the approval's tenant, by the broker itself (no key).
        using var admin = app.Admin();
        var records = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit?action=approval.expire&limit=100")))["items"]!.AsArray();
        Assert.Equal(new[] { undecided, unused }.Order(), records.Select(r => r!["target"]!.GetValue<string>()).Order());
        Assert.All(records, r => Assert.Equal("denied", r!["outcome"]!.GetValue<string>()));
        Assert.Contains(records, r => r!["target"]!.GetValue<string>() == undecided && r["reason"]!.GetValue<string>().Contains("expired=undecided", StringComparison.Ordinal));
        Assert.Contains(records, r => r!["target"]!.GetValue<string>() == unused && r["reason"]!.GetValue<string>().Contains("expired=unused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAnnouncementTheWebhookRefused_IsRetriedLater_InOrder()
    {
        await using var receiver = await Receiver.StartAsync();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        using var app = new BrokerApp(time, new() { ["Broker:Approvals:WebhookUrl"] = receiver.Url, ["Broker:Approvals:WebhookSecret"] = Secret });
        var (agent, approver, _) = await ApprovalsApiTests.KeysAsync(app);
        using var a = agent;
        using var b = approver;
        var webhook = app.Services.GetRequiredService<Broker.Approvals.ApprovalWebhook>();

        receiver.FailNext(1);
        var id = await ApprovalsApiTests.AssertPendingAsync(await ApprovalsApiTests.MintAsync(agent));
        await ApprovalsApiTests.DecideAsync(approver, id, "approve");
        for (var i = 0; i < 400 && Volatile.Read(ref receiver.Refused) == 0; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, Volatile.Read(ref receiver.Refused));
        Assert.Equal(0, await webhook.SendDueAsync()); // the request's retry is not due, and its decision waits behind it

        // The background pass may still be recording the failed attempt: move the clock on until the retry is due and sent.
        for (var i = 0; i < 200 && receiver.Waiting < 2; i++)
        {
            time.Advance(Broker.Approvals.ApprovalWebhook.RetryDelay(1));
            await webhook.SendDueAsync();
            await Task.Delay(50);
        }

        var events = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var (body, valid) = await receiver.NextAsync();
            Assert.True(valid);
            var json = JsonNode.Parse(body)!;
            Assert.Equal(id, json["id"]!.GetValue<string>());
            events.Add(json["event"]!.GetValue<string>());
        }

        Assert.Equal(["requested", "approved"], events);
    }

    [Fact]
    public async Task AnAnnouncementNotDeliveredBeforeARestart_IsDeliveredAfterIt()
    {
        await using var receiver = await Receiver.StartAsync();
        var settings = new Dictionary<string, string?> { ["Broker:Approvals:WebhookUrl"] = receiver.Url, ["Broker:Approvals:WebhookSecret"] = Secret };
        string id;
        var dataDir = Path.Combine(Path.GetTempPath(), "broker-tests", Guid.NewGuid().ToString("n"));
        using (var first = new BrokerApp(settings: settings, dataDir: dataDir))
        {
            var (agent, _, _) = await ApprovalsApiTests.KeysAsync(first);
            using var a = agent;
            receiver.FailNext(int.MaxValue);
            id = await ApprovalsApiTests.AssertPendingAsync(await ApprovalsApiTests.MintAsync(agent));
            for (var i = 0; i < 400 && Volatile.Read(ref receiver.Refused) == 0; i++)
            {
                await Task.Delay(50);
            }

            Assert.True(Volatile.Read(ref receiver.Refused) >= 1);
        }

        receiver.FailNext(0);
        using var second = new BrokerApp(settings: settings, dataDir: dataDir);
        using (var admin = second.Admin())
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await admin.GetAsync("/healthz")).StatusCode); // starts the host
        }

        // Its retry is due 5 s after the refusal; the new process's loop looks every 5 s.
        var (body, valid) = await receiver.NextAsync();
        Assert.True(valid);
        Assert.Equal((id, "requested"), (JsonNode.Parse(body)!["id"]!.GetValue<string>(), JsonNode.Parse(body)!["event"]!.GetValue<string>()));
        second.Dispose();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task AFailingWebhook_NeverBlocksNorFailsTheRequest()
    {
        using var app = new BrokerApp(settings: new() { ["Broker:Approvals:WebhookUrl"] = "http://127.0.0.1:9/hook", ["Broker:Approvals:WebhookSecret"] = Secret });
        var (agent, approver, _) = await ApprovalsApiTests.KeysAsync(app);
        using var a = agent;
        using var b = approver;

        var started = System.Diagnostics.Stopwatch.StartNew();
        var id = await ApprovalsApiTests.AssertPendingAsync(await ApprovalsApiTests.MintAsync(agent));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"the request took {started.Elapsed}");
        await ApprovalsApiTests.DecideAsync(approver, id, "approve");
        Assert.Equal(HttpStatusCode.OK, (await ApprovalsApiTests.MintAsync(agent, id)).StatusCode);
    }
}
