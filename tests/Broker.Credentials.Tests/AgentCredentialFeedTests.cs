using Broker.Audit;
using Broker.Core;
using Broker.Core.Grants;

namespace Broker.Credentials.Tests;

public sealed class AgentCredentialFeedTests : IDisposable
{
    private readonly CredentialsFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task ReadAll_ServesOnlyWhatThePatternsAllow_AndRecordsEachReadWithItsHmac()
    {
        await _fixture.PutAsync("openai_key", "sk-openai-secret");
        await _fixture.PutAsync("db_password", "hunter2-secret");

        var result = await _fixture.Feed.ReadAsync(CredentialsFixture.ContextOf(CredentialsFixture.Agent("openai_*")), new HeldKey(), new AgentFeedQuery(null, null, 0));

        Assert.Equal(AgentFeedStatus.Changed, result.Status);
        var value = Assert.Single(result.Values);
        Assert.Equal(("openai_key", "sk-openai-secret"), (value.Name, value.Value));
        var read = Assert.Single(_fixture.Audit.Entries, e => e.Action == AuditActions.CredentialRead);
        Assert.Equal(("openai_key", AuditOutcomes.Allowed, "v1"), (read.Target, read.Outcome, read.Reason));
        Assert.NotNull(read.ValueHmac);
        Assert.DoesNotContain("sk-openai-secret", string.Join("\n", _fixture.Audit.Entries));
    }

    [Fact]
    public async Task ReadAll_WhenTheTrailIsDown_ServesNothing()
    {
        await _fixture.PutAsync("openai_key", "sk-openai-secret");
        _fixture.Audit.Unavailable = true;

        await Assert.ThrowsAsync<AuditUnavailableException>(() =>
            _fixture.Feed.ReadAsync(CredentialsFixture.ContextOf(CredentialsFixture.Agent("*")), new HeldKey(), new AgentFeedQuery(null, null, 0)));
    }

    [Fact]
    public async Task ReadAll_Unchanged_IsNotModified_AndRecordsNoRead()
    {
        await _fixture.PutAsync("openai_key", "v1-secret");
        var agent = CredentialsFixture.ContextOf(CredentialsFixture.Agent("*"));
        var first = await _fixture.Feed.ReadAsync(agent, new HeldKey(), new AgentFeedQuery(null, null, 0));
        var reads = _fixture.Audit.Entries.Count;

        var again = await _fixture.Feed.ReadAsync(agent, new HeldKey(), new AgentFeedQuery(null, first.Cursor, 0));

        Assert.Equal(AgentFeedStatus.NotModified, again.Status);
        Assert.Equal(first.Cursor, again.Cursor);
        Assert.Equal(reads, _fixture.Audit.Entries.Count);
    }

    [Fact]
    public async Task LongPoll_WakesOnAChangeThePatternsAllow()
    {
        await _fixture.PutAsync("openai_key", "v1-secret");
        var agent = CredentialsFixture.ContextOf(CredentialsFixture.Agent("openai_*"));
        var first = await _fixture.Feed.ReadAsync(agent, new HeldKey(), new AgentFeedQuery(null, null, 0));
        var key = new HeldKey();

        var polling = _fixture.Feed.ReadAsync(agent, key, new AgentFeedQuery(first.Cursor, null, 30));
        await key.Waiting.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _fixture.PutAsync("other_key", "not-for-this-agent");
        await _fixture.PutAsync("openai_key", "v2-secret");
        var result = await polling.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(AgentFeedStatus.Changed, result.Status);
        Assert.Equal(("openai_key", 2, "v2-secret"), (result.Values.Single().Name, result.Values.Single().Version, result.Values.Single().Value));
    }

    [Fact]
    public async Task LongPoll_KeyRevokedWhileWaiting_AnswersKeyInvalid_ServesNothing_AndRecordsTheRefusal()
    {
        await _fixture.PutAsync("openai_key", "v1-secret");
        var agent = CredentialsFixture.ContextOf(CredentialsFixture.Agent("*"), "poll-1");
        var first = await _fixture.Feed.ReadAsync(agent, new HeldKey(), new AgentFeedQuery(null, null, 0));
        var key = new HeldKey();

        var polling = _fixture.Feed.ReadAsync(agent, key, new AgentFeedQuery(first.Cursor, null, 30));
        await key.Waiting.Task.WaitAsync(TimeSpan.FromSeconds(10));
        key.Revoke();
        var result = await polling.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(AgentFeedStatus.KeyInvalid, result.Status);
        Assert.Empty(result.Values);
        var denied = Assert.Single(_fixture.Audit.Entries, e => e.RequestId == "poll-1" && e.Action == AuditActions.RequestDenied);
        Assert.Equal("unauthenticated:401", denied.Reason);
    }

    [Fact]
    public async Task LongPoll_OverThePerKeyCap_IsRefused_AndRecorded()
    {
        using var fixture = new CredentialsFixture(maxLongPollsPerKey: 1);
        await fixture.PutAsync("openai_key", "v1-secret");
        var agent = CredentialsFixture.ContextOf(CredentialsFixture.Agent("*"), "poll-2");
        var first = await fixture.Feed.ReadAsync(agent, new HeldKey(), new AgentFeedQuery(null, null, 0));
        var holder = new HeldKey();
        using var cancel = new CancellationTokenSource();
        var held = fixture.Feed.ReadAsync(agent, holder, new AgentFeedQuery(first.Cursor, null, 30), cancel.Token);
        await holder.Waiting.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var second = await fixture.Feed.ReadAsync(agent, new HeldKey(), new AgentFeedQuery(first.Cursor, null, 30));

        Assert.Equal(AgentFeedStatus.TooManyWaits, second.Status);
        Assert.Contains(fixture.Audit.Entries, e => e.Action == AuditActions.RequestDenied && e.Reason == "long_polls:429");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
    }

    [Theory]
    [InlineData(-1, null)]
    [InlineData(61, 5L)]
    [InlineData(5, null)]
    public async Task ReadAll_InvalidWait_IsAValidationError(int wait, long? since)
    {
        await Assert.ThrowsAsync<ValidationException>(() =>
            _fixture.Feed.ReadAsync(CredentialsFixture.ContextOf(CredentialsFixture.Agent("*")), new HeldKey(), new AgentFeedQuery(since, null, wait)));
    }

    [Fact]
    public async Task ReadOne_OutsideThePatterns_IsForbidden_AndRecordedAsDenied()
    {
        await _fixture.PutAsync("db_password", "hunter2-secret");

        var refused = await Assert.ThrowsAsync<GrantRefusedException>(() =>
            _fixture.Feed.ReadOneAsync(CredentialsFixture.ContextOf(CredentialsFixture.Agent("openai_*")), "db_password", null));

        Assert.Equal(BrokerErrorKind.Forbidden, refused.Kind);
        var denied = Assert.Single(_fixture.Audit.Entries, e => e.Action == AuditActions.CredentialRead);
        Assert.Equal(("db_password", AuditOutcomes.Denied, GrantRules.CredentialPattern), (denied.Target, denied.Outcome, denied.Reason));
    }

    [Fact]
    public async Task ReadOne_Missing_IsNotFound_AndRecordedAsDenied()
    {
        var refused = await Assert.ThrowsAsync<BrokerOperationException>(() =>
            _fixture.Feed.ReadOneAsync(CredentialsFixture.ContextOf(CredentialsFixture.BackOfficeAgent("*")), "missing", "alice"));

        Assert.Equal(BrokerErrorKind.NotFound, refused.Kind);
        var denied = Assert.Single(_fixture.Audit.Entries);
        Assert.Equal(("missing?subject=alice", AuditOutcomes.Denied, AuditReason.NotFound), (denied.Target, denied.Outcome, denied.Reason));
    }

    [Fact]
    public async Task ReadOne_ForAUser_WithoutProof_IsRefusedSubjectUnproven_BeforeAnythingIsRead()
    {
        await _fixture.Admin.PutAsync(CredentialsFixture.ContextOf(CredentialsFixture.AdminCaller), "github_token", "alice", "ghp-alice-secret", null, null, null);

        var refused = await Assert.ThrowsAsync<GrantRefusedException>(() =>
            _fixture.Feed.ReadOneAsync(CredentialsFixture.ContextOf(CredentialsFixture.Agent("*"), "bob-says"), "github_token", "alice"));

        Assert.Equal(GrantRules.SubjectUnproven, refused.Rule);
        var denied = Assert.Single(_fixture.Audit.Entries, e => e.RequestId == "bob-says");
        Assert.Equal(("github_token?subject=alice", GrantRules.SubjectUnproven + " proof=none"), (denied.Target, denied.Reason));
    }

    [Fact]
    public async Task UseOnlyValues_AreNeitherListedNorRead()
    {
        await _fixture.Admin.PutAsync(CredentialsFixture.ContextOf(CredentialsFixture.AdminCaller), "hmac_secret", null, "use-only-secret", null, null, null, default, CredentialAccess.Use);
        await _fixture.PutAsync("openai_key", "readable");
        var agent = CredentialsFixture.ContextOf(CredentialsFixture.Agent("*"));

        var all = await _fixture.Feed.ReadAsync(agent, new HeldKey(), new AgentFeedQuery(null, null, 0));
        var refused = await Assert.ThrowsAsync<GrantRefusedException>(() => _fixture.Feed.ReadOneAsync(agent, "hmac_secret", null));

        Assert.Equal(["openai_key"], all.Values.Select(v => v.Name));
        Assert.Equal(GrantRules.AgentAccess, refused.Rule);
        Assert.DoesNotContain(_fixture.Audit.Entries, e => e.Target == "hmac_secret" && e.Outcome == AuditOutcomes.Allowed && e.Action == AuditActions.CredentialRead);
    }
}
