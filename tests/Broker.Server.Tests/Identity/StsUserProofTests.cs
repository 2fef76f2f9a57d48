using System.Net;
using System.Net.Http.Json;

namespace Broker.Server.Tests.Identity;

public sealed class StsUserProofTests
{
    [Fact]
    public async Task StsOnBehalfOf_NeedsProofOfTheUser_AndRecordsHowItWasProven()
    {
        await using var sts = await StubSts.StartAsync();
        await using var issuer = await LocalIssuer.StartAsync();
        using var app = new BrokerApp(settings: new() { ["Broker:Aws:ServiceUrl"] = sts.ServiceUrl });
        await app.PutAsync("aws_main", """{"accessKeyId":"AKIAPROOFTESTBASE001","secretAccessKey":"proofTestBaseSecret/K7MDENG+bPxRfiCYEXAMPLE","roleArn":"arn:aws:iam::123456789012:role/base"}""", kind: "aws");
        var (_, agent) = await app.CreateKeyAsync(new { name = "deploy-agent", role = "agent", credentials = new[] { "aws_*" } });
        using (var admin = app.Admin())
        {
            var created = await admin.PostAsJsonAsync("/v1/issuers", new { name = "corp", issuer = issuer.Issuer, jwksUri = issuer.JwksUri, audiences = new[] { LocalIssuer.Audience }, use = "users" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var body = new { credential = "aws_main", task = "t1", onBehalfOf = "alice" };
        using var unproven = app.ClientWith(agent);
        var refused = await Actors.AssertProblemAsync(await unproven.PostAsJsonAsync("/v1/sts", body), HttpStatusCode.Forbidden);
        Assert.StartsWith("Rule subject_unproven", refused["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        using var bobs = app.ClientWith(agent);
        bobs.DefaultRequestHeaders.Add("Broker-User-Assertion", issuer.Sign("bob"));
        Assert.Equal(HttpStatusCode.Forbidden, (await bobs.PostAsJsonAsync("/v1/sts", body)).StatusCode);

        using var proven = app.ClientWith(agent);
        var assertion = issuer.Sign("alice");
        proven.DefaultRequestHeaders.Add("Broker-User-Assertion", assertion);
        Assert.Equal(HttpStatusCode.OK, (await proven.PostAsJsonAsync("/v1/sts", body)).StatusCode);

        using var auditor = app.Admin();
        var audit = await (await auditor.GetAsync("/v1/audit?limit=1000&action=sts.mint")).Content.ReadAsStringAsync();
        Assert.Contains("onBehalfOf=alice proof=assertion issuer=corp", audit, StringComparison.Ordinal);
        Assert.Contains("onBehalfOf=alice proof=none", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(assertion, audit, StringComparison.Ordinal);
    }
}
