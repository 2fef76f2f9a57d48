using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Broker.Client.Tests;

/// <summary>
/// SDK.md v1.1 "Approvals" against the real server: a mint, an STS request or a per-user read that needs a human's
/// approval waits inside the call, then returns the result, or throws <see cref="ApprovalException"/> saying denied or
/// timed out, with the approval id; cancellation is an <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class ApprovalWaitTests : IAsyncLifetime
{
    private RealBroker _broker = null!;
    private string _agentKey = string.Empty;
    private HttpClient _approver = null!;

    public async Task InitializeAsync()
    {
        _broker = await RealBroker.StartNewAsync();
        (_, _agentKey) = await _broker.CreateKeyAsync(new
        {
            name = "pay-agent", role = "agent", credentials = new[] { "*" }, subjects = "any",
            tokens = new { audiences = new[] { "*" }, scopes = new[] { "*" } }, sts = new { roles = new[] { "*" } },
            approval = new { scopes = new[] { "payments:*" }, roles = new[] { "arn:aws:iam::*:role/agent-role" }, credentials = new[] { "stripe_*" } },
        });
        var (_, approverKey) = await _broker.CreateKeyAsync(new { name = "alice", role = "approver" });
        _approver = new HttpClient { BaseAddress = _broker.Endpoint, Timeout = TimeSpan.FromSeconds(30) };
        _approver.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", approverKey);
    }

    public async Task DisposeAsync()
    {
        _approver.Dispose();
        await _broker.DisposeAsync();
    }

    private BrokerClient Client(TimeSpan? timeout = null) =>
        new(_broker.Endpoint, _agentKey, new BrokerClientOptions { ApprovalTimeout = timeout ?? TimeSpan.FromMinutes(1) });

    /// <summary>Waits (polling with a deadline) for the one pending approval, then decides it.</summary>
    private async Task<string> DecideAsync(string verdict, object body)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while (true)
        {
            var items = JsonNode.Parse(await _approver.GetStringAsync("v1/approvals?status=pending"))!["items"]!.AsArray();
            if (items.Count > 0)
            {
                var id = items[0]!["id"]!.GetValue<string>();
                using var decided = await _approver.PostAsJsonAsync($"v1/approvals/{id}/{verdict}", body);
                Assert.True(decided.IsSuccessStatusCode, await decided.Content.ReadAsStringAsync());
                return id;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, "no pending approval appeared");
            await Task.Delay(50);
        }
    }

    private static TokenRequest PaymentToken() => new() { Audience = "https://pay.example", Task = "refund-42", Scopes = ["payments:write"] };

    [Fact]
    public async Task MintTokenAsync_WaitsForTheApproval_ThenReturnsTheToken()
    {
        await using var client = Client();

        var minting = client.MintTokenAsync(PaymentToken());
        await DecideAsync("approve", new { reason = "ok" });
        var token = await minting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(string.IsNullOrEmpty(token.Token));
    }

    [Fact]
    public async Task GetAwsCredentialsAsync_WaitsForTheApproval_AndGetsTheNarrowedDuration()
    {
        await _broker.SetAwsCredentialAsync("aws_main");
        await using var client = Client();

        var minting = client.GetAwsCredentialsAsync(new AwsCredentialsRequest { Credential = "aws_main", Task = "deploy", Duration = TimeSpan.FromHours(1) });
        await DecideAsync("approve", new { ttlSeconds = 900 });
        var session = await minting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(string.IsNullOrEmpty(session.AccessKeyId));
        Assert.Equal(900, _broker.LastStsDurationSeconds);
    }

    [Fact]
    public async Task GetCredentialForSubjectAsync_WaitsForTheApproval_ThenReturnsTheValue()
    {
        await _broker.SetCredentialAsync("stripe_key", "sk_live_sdk-approval-value-0001", subject: "carol");
        await using var client = Client();

        var reading = client.GetCredentialForSubjectAsync("stripe_key", "carol");
        await DecideAsync("approve", new { });
        var credential = await reading.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("sk_live_sdk-approval-value-0001", credential.Value);
    }

    [Fact]
    public async Task Denied_ThrowsApprovalException_WithTheIdAndTheReason()
    {
        await using var client = Client();

        var minting = client.MintTokenAsync(PaymentToken());
        var id = await DecideAsync("deny", new { reason = "not today" });
        var denied = await Assert.ThrowsAsync<ApprovalException>(() => minting.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(id, denied.ApprovalId);
        Assert.Equal(ApprovalOutcome.Denied, denied.Outcome);
        Assert.Equal("not today", denied.Reason);
        Assert.IsAssignableFrom<BrokerException>(denied);
    }

    [Fact]
    public async Task NoDecisionWithinTheTimeout_ThrowsTimedOut()
    {
        await using var client = Client(TimeSpan.FromSeconds(1));

        var timedOut = await Assert.ThrowsAsync<ApprovalException>(() => client.MintTokenAsync(PaymentToken()).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(ApprovalOutcome.TimedOut, timedOut.Outcome);
        Assert.StartsWith("apr_", timedOut.ApprovalId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_EndsTheWait_WithOperationCanceledException()
    {
        await using var client = Client();
        using var cancel = new CancellationTokenSource();

        var minting = client.MintTokenAsync(PaymentToken(), cancel.Token);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while (JsonNode.Parse(await _approver.GetStringAsync("v1/approvals?status=pending"))!["items"]!.AsArray().Count == 0)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "no pending approval appeared");
            await Task.Delay(50);
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => minting.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void ApprovalException_HasThePublicConstructorOfTheContract()
    {
        var exception = new ApprovalException("apr_x", ApprovalOutcome.Expired);
        Assert.Equal("apr_x", exception.ApprovalId);
        Assert.Equal(ApprovalOutcome.Expired, exception.Outcome);
        Assert.Null(exception.Reason);
        Assert.Equal(TimeSpan.FromMinutes(10), new BrokerClientOptions().ApprovalTimeout);
    }
}
