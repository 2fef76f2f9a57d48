using System.Net;
using Broker.Approvals;
using Broker.Storage.Sqlite;
using Broker.Storage.Sqlite.Approvals;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Storage.Tests;

/// <summary>
/// The approvals webhook's outbox on a real SQLite store, on a fake clock, with the sending loop not started: only the
/// HTTP answer is scripted (the narrow seam), so which announcement goes out when is deterministic.
/// </summary>
public sealed class ApprovalOutboxTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "broker-outbox", Guid.NewGuid().ToString("n"));
    private readonly FakeTimeProvider _time = new(T0);
    private readonly ScriptedHandler _handler = new();
    private readonly SqliteApprovalStore _store;
    private readonly ApprovalWebhook _webhook;

    public ApprovalOutboxTests()
    {
        Directory.CreateDirectory(_directory);
        var database = new SqliteDatabase(Path.Combine(_directory, "broker.db"));
        SqliteMigrations.Apply(database);
        _store = new SqliteApprovalStore(database);
        var options = Options.Create(new ApprovalOptions { WebhookUrl = new Uri("https://hooks.example/approvals"), WebhookSecret = "whsec_outbox-test" });
        _webhook = new ApprovalWebhook(new Clients(_handler), _store, options, _time, NullLogger<ApprovalWebhook>.Instance);
    }

    public void Dispose()
    {
        _webhook.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task AFailure_BacksThatApprovalOff_GivesTheRestBackAtOnce_AndKeepsEachApprovalsOrder()
    {
        await _store.AddAnnouncementAsync("default", "apr_a", """{"id":"apr_a","event":"requested"}""", T0);
        await _store.AddAnnouncementAsync("default", "apr_b", """{"id":"apr_b","event":"requested"}""", T0);
        await _store.AddAnnouncementAsync("default", "apr_a", """{"id":"apr_a","event":"approved"}""", T0);

        _handler.Fail(1);
        Assert.Equal(0, await _webhook.SendDueAsync()); // apr_a's request is refused; apr_b's was claimed with it and is given back untried
        Assert.Equal(1, await _webhook.SendDueAsync()); // at once, not after the claim lapses
        Assert.Equal(0, await _webhook.SendDueAsync()); // apr_a's decision waits behind its request, which is not due yet

        _time.Advance(ApprovalWebhook.RetryDelay(1));
        Assert.Equal(2, await _webhook.SendDueAsync());
        Assert.Equal(
            ["""{"id":"apr_b","event":"requested"}""", """{"id":"apr_a","event":"requested"}""", """{"id":"apr_a","event":"approved"}"""],
            _handler.Bodies); // what was taken, in order: a refused POST is not
        Assert.Equal(4, _handler.Requests);
        Assert.All(_handler.Signatures, s => Assert.StartsWith("sha256=", s, StringComparison.Ordinal));
        Assert.Equal(0, await _webhook.SendDueAsync());
    }

    [Fact]
    public async Task RetriesBackOffToFiveMinutes_AndAnAnnouncementIsDroppedAfterADay()
    {
        Assert.Equal([5, 10, 20, 40, 80, 160, 300, 300], Enumerable.Range(1, 8).Select(n => (int)ApprovalWebhook.RetryDelay(n).TotalSeconds));
        await _store.AddAnnouncementAsync("default", "apr_a", """{"id":"apr_a"}""", T0);
        _handler.Fail(int.MaxValue);
        var attempts = 0;
        while (_time.GetUtcNow() - T0 < ApprovalWebhook.GiveUpAfter + TimeSpan.FromMinutes(10))
        {
            var before = _handler.Requests;
            await _webhook.SendDueAsync();
            attempts += _handler.Requests - before;
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.InRange(attempts, 280, 300); // about one a 5 minutes for a day, then none
        _handler.Fail(0);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await _webhook.SendDueAsync()); // given up: nothing is left to send
    }

    private sealed class Clients(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    private sealed class ScriptedHandler : HttpMessageHandler
    {
        private int _fail;

        public List<string> Bodies { get; } = [];

        public List<string> Signatures { get; } = [];

        public int Requests { get; private set; }

        public void Fail(int count) => _fail = count;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            if (_fail > 0)
            {
                _fail--;
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
            }

            Bodies.Add(await request.Content!.ReadAsStringAsync(cancellationToken));
            Signatures.Add(request.Headers.GetValues(ApprovalWebhook.SignatureHeader).Single());
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
