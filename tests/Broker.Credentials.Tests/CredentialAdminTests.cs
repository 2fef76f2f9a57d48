using Broker.Audit;
using Broker.Core;

namespace Broker.Credentials.Tests;

public sealed class CredentialAdminTests : IDisposable
{
    private readonly CredentialsFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task Put_RecordsTheIntentBeforeTheWrite_AndNeverTheValue()
    {
        var result = await _fixture.Admin.PutAsync(CredentialsFixture.ContextOf(CredentialsFixture.AdminCaller), "openai_key", null, "sk-put-secret", null, null, null);

        Assert.Equal(CredentialWriteOutcome.Created, result.Outcome);
        var write = Assert.Single(_fixture.Audit.Entries);
        Assert.Equal((AuditActions.CredentialWrite, "openai_key", AuditOutcomes.Allowed), (write.Action, write.Target, write.Outcome));
        Assert.DoesNotContain("sk-put-secret", write.ToString());
    }

    [Fact]
    public async Task Put_WithStaleIfMatch_IsPreconditionFailed_RecordedAsDenied_AndChangesNothing()
    {
        await _fixture.PutAsync("openai_key", "v1-secret");
        await _fixture.PutAsync("openai_key", "v2-secret");

        var refused = await Assert.ThrowsAsync<BrokerOperationException>(() =>
            _fixture.Admin.PutAsync(CredentialsFixture.ContextOf(CredentialsFixture.AdminCaller, "stale"), "openai_key", null, "v3-secret", null, null, "\"1\""));

        Assert.Equal(BrokerErrorKind.PreconditionFailed, refused.Kind);
        var record = Assert.Single(_fixture.Audit.Entries, e => e.RequestId == "stale");
        Assert.Equal(AuditOutcomes.Denied, record.Outcome);
        Assert.StartsWith(AuditReason.PreconditionFailed, record.Reason);
        Assert.Equal(2, (await _fixture.Service.ReadAsync(Tenants.Default, "openai_key", null))!.Version);
    }

    [Fact]
    public async Task Put_WhenTheTrailIsDown_ChangesNothing()
    {
        _fixture.Audit.Unavailable = true;

        await Assert.ThrowsAsync<AuditUnavailableException>(() =>
            _fixture.Admin.PutAsync(CredentialsFixture.ContextOf(CredentialsFixture.AdminCaller), "openai_key", null, "sk-secret", null, null, null));

        Assert.Null(await _fixture.Service.ReadAsync(Tenants.Default, "openai_key", null));
    }

    [Theory]
    [InlineData("Bad Name", null)]
    [InlineData("openai_key", "\"zero\"")]
    public async Task Put_InvalidInput_IsRecordedAsDenied(string name, string? ifMatch)
    {
        await Assert.ThrowsAsync<ValidationException>(() =>
            _fixture.Admin.PutAsync(CredentialsFixture.ContextOf(CredentialsFixture.AdminCaller), name, null, "value", null, null, ifMatch));

        var record = Assert.Single(_fixture.Audit.Entries);
        Assert.Equal((AuditActions.CredentialWrite, AuditOutcomes.Denied), (record.Action, record.Outcome));
        Assert.StartsWith(AuditReason.Validation, record.Reason);
    }

    [Fact]
    public async Task Delete_Missing_IsNotFound_AndRecordedAsDenied()
    {
        var refused = await Assert.ThrowsAsync<BrokerOperationException>(() =>
            _fixture.Admin.DeleteAsync(CredentialsFixture.ContextOf(CredentialsFixture.AdminCaller), "missing", null));

        Assert.Equal(BrokerErrorKind.NotFound, refused.Kind);
        var record = Assert.Single(_fixture.Audit.Entries);
        Assert.Equal((AuditActions.CredentialDelete, AuditOutcomes.Denied, AuditReason.NotFound), (record.Action, record.Outcome, record.Reason));
    }
}
