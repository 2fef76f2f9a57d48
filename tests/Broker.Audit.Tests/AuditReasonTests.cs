using Broker.Core;

namespace Broker.Audit.Tests;

public sealed class AuditReasonTests
{
    [Fact]
    public void Reason_IsACodeThenKeyValuePairs_SkippingNulls()
    {
        var reason = new AuditReason(AuditReason.PreconditionFailed).Add("ifMatch", 3).Add("current", (long?)null).Add("policy", true).ToString();
        Assert.Equal("precondition_failed ifMatch=3 policy=yes", reason);
        Assert.Equal("jti=abc scopes=", new AuditReason().Add("jti", "abc").AddList("scopes", []).ToString());
    }

    [Fact]
    public void Values_CannotForgeAPairOrSplitAList()
    {
        var reason = new AuditReason().Add("sub", "eve ttl=3600").AddList("scopes", ["a,b", "100%", "tab\there"]).ToString();
        Assert.Equal("sub=eve%20ttl=3600 scopes=a%2Cb,100%25,tab%09here", reason);
        Assert.Equal(2, reason.Split(' ').Length);
    }

    [Fact]
    public void LongValues_AreCut()
    {
        var reason = new AuditReason().Add("role", new string('r', 5000)).ToString();
        Assert.Equal("role=".Length + AuditReason.MaxValueLength + "...".Length, reason.Length);
    }

    [Fact]
    public void For_AValidationError_NamesTheFieldsInOrder_AndOtherKindsTheirCode()
    {
        var invalid = new ValidationException(new Dictionary<string, string[]> { ["ttlSeconds"] = ["x"], ["audience"] = ["y"] });
        Assert.Equal("validation fields=audience,ttlSeconds", AuditReason.For(invalid).ToString());
        Assert.Equal("not_found", AuditReason.For(new BrokerOperationException(BrokerErrorKind.NotFound, "gone")).ToString());
        Assert.Equal(AuditOutcomes.Denied, AuditReason.OutcomeFor(BrokerErrorKind.Forbidden));
        Assert.Equal(AuditOutcomes.Error, AuditReason.OutcomeFor(BrokerErrorKind.Upstream));
        Assert.Equal(AuditOutcomes.Error, AuditReason.OutcomeFor(BrokerErrorKind.Unavailable));
    }
}
