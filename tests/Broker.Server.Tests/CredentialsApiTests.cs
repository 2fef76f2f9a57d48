using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace Broker.Server.Tests;

public sealed class CredentialsApiTests : IDisposable
{
    private readonly BrokerApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Put_FirstIs201_ChangedIs200NewVersion_UnchangedKeepsVersion()
    {
        using var admin = _app.Admin();
        var first = await admin.PutAsJsonAsync("/v1/credentials/openai_key", new { value = "sk-one", labels = new { team = "ml" } });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var body = await BrokerApp.JsonAsync(first);
        Assert.Equal(1, body["version"]!.GetValue<int>());
        Assert.Equal("generic", body["kind"]!.GetValue<string>());
        Assert.Equal("ml", body["labels"]!["team"]!.GetValue<string>());
        Assert.True(body.AsObject().ContainsKey("subject"));

        var same = await admin.PutAsJsonAsync("/v1/credentials/openai_key", new { value = "sk-one" });
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal(1, (await BrokerApp.JsonAsync(same))["version"]!.GetValue<int>());

        var changed = await admin.PutAsJsonAsync("/v1/credentials/openai_key", new { value = "sk-two" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var changedBody = await BrokerApp.JsonAsync(changed);
        Assert.Equal(2, changedBody["version"]!.GetValue<int>());
        Assert.Equal("ml", changedBody["labels"]!["team"]!.GetValue<string>());

        var described = await BrokerApp.JsonAsync(await admin.GetAsync("/v1/credentials/openai_key"));
        Assert.Equal(2, described["versions"]!.AsArray().Count);
        Assert.DoesNotContain("sk-", described.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_WithStaleIfMatch_Returns412_AndMatchingIfMatchWrites()
    {
        using var admin = _app.Admin();
        var absent = new HttpRequestMessage(HttpMethod.Put, "/v1/credentials/db_pass") { Content = JsonContent.Create(new { value = "v1-secret" }) };
        absent.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        var absentResponse = await admin.SendAsync(absent);
        Assert.Equal(HttpStatusCode.PreconditionFailed, absentResponse.StatusCode);
        Assert.Equal("application/problem+json", absentResponse.Content.Headers.ContentType?.MediaType);

        await _app.PutAsync("db_pass", "v1-secret");
        var stale = new HttpRequestMessage(HttpMethod.Put, "/v1/credentials/db_pass") { Content = JsonContent.Create(new { value = "v2-secret" }) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"7\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await admin.SendAsync(stale)).StatusCode);

        var matching = new HttpRequestMessage(HttpMethod.Put, "/v1/credentials/db_pass") { Content = JsonContent.Create(new { value = "v2-secret" }) };
        matching.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        var ok = await admin.SendAsync(matching);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(2, (await BrokerApp.JsonAsync(ok))["version"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("-leading")]
    [InlineData("has space")]
    [InlineData("a%2Fb")]
    public async Task Put_InvalidName_Returns400Problem(string name)
    {
        using var admin = _app.Admin();
        var response = await admin.PutAsJsonAsync($"/v1/credentials/{name}", new { value = "x-secret-value" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await BrokerApp.JsonAsync(response);
        Assert.Equal(400, problem["status"]!.GetValue<int>());
        Assert.NotNull(problem["errors"]);
    }

    [Fact]
    public async Task Put_TooLongName_Returns400()
    {
        using var admin = _app.Admin();
        var response = await admin.PutAsJsonAsync("/v1/credentials/" + new string('a', 129), new { value = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"value": 42}""")]
    [InlineData("""{"kind": "generic"}""")]
    [InlineData("""{"value": "x", "labels": {"a": 1}}""")]
    [InlineData("""{"value": "x", "kind": "nope"}""")]
    [InlineData("not json")]
    [InlineData("")]
    public async Task Put_BadBody_Returns400WithoutEcho(string json)
    {
        using var admin = _app.Admin();
        var response = await admin.PutAsync("/v1/credentials/thing", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("StackTrace", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_UnknownFieldsAreIgnored()
    {
        using var admin = _app.Admin();
        var response = await admin.PutAsync("/v1/credentials/thing", new StringContent("""{"value":"abc-secret","extra":true}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Put_AwsKind_ValidatesValueWithoutEchoingIt()
    {
        using var admin = _app.Admin();
        var bad = await admin.PutAsJsonAsync("/v1/credentials/aws_main", new { value = "AKIASECRETNOTJSON", kind = "aws" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.DoesNotContain("AKIASECRETNOTJSON", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var missing = await admin.PutAsJsonAsync("/v1/credentials/aws_main", new { value = """{"accessKeyId":"AKIA1"}""", kind = "aws" });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);

        var good = await admin.PutAsJsonAsync("/v1/credentials/aws_main", new { value = """{"accessKeyId":"AKIA1","secretAccessKey":"s3cr3t","roleArn":"arn:aws:iam::123456789012:role/agent"}""", kind = "aws" });
        Assert.Equal(HttpStatusCode.Created, good.StatusCode);
        Assert.Equal("aws", (await BrokerApp.JsonAsync(good))["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Put_BodyOver64KiB_Returns413()
    {
        using var admin = _app.Admin();
        var response = await admin.PutAsJsonAsync("/v1/credentials/big", new { value = new string('x', 70_000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task SubjectValues_AreSeparate_AndDeleteBySubjectKeepsShared()
    {
        using var admin = _app.Admin();
        await _app.PutAsync("github_token", "shared-value-1");
        await _app.PutAsync("github_token", "alice-value-1", subject: "alice@example.com");
        var list = await BrokerApp.JsonAsync(await admin.GetAsync("/v1/credentials"));
        var items = list["items"]!.AsArray();
        Assert.Equal(2, items.Count);
        Assert.Contains(items, i => i!["subject"]?.GetValue<string>() == "alice@example.com");
        Assert.DoesNotContain("value-1", list.ToJsonString(), StringComparison.Ordinal);

        var aliceOnly = await admin.GetAsync("/v1/credentials/github_token?subject=alice@example.com");
        Assert.Equal("alice@example.com", (await BrokerApp.JsonAsync(aliceOnly))["subject"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/credentials/github_token?subject=alice@example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/credentials/github_token?subject=alice@example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/credentials/github_token")).StatusCode);
    }

    [Fact]
    public async Task Delete_RemovesEverySubject_Then404()
    {
        using var admin = _app.Admin();
        await _app.PutAsync("svc", "shared-aaaa");
        await _app.PutAsync("svc", "bob-bbbb", subject: "bob");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/credentials/svc")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/credentials/svc")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/credentials/svc?subject=bob")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/v1/credentials/svc")).StatusCode);
        var list = await BrokerApp.JsonAsync(await admin.GetAsync("/v1/credentials"));
        Assert.Empty(list["items"]!.AsArray());
    }

    [Fact]
    public async Task UnknownRoute_IsProblemJson()
    {
        using var admin = _app.Admin();
        var response = await admin.GetAsync("/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await BrokerApp.JsonAsync(response);
        foreach (var field in new[] { "type", "title", "status", "detail" })
        {
            Assert.NotNull(problem[field]);
        }
    }

    [Fact]
    public async Task Health_And_Openapi_NeedNoKey()
    {
        using var anonymous = _app.ClientWith(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
        var openapi = await anonymous.GetStringAsync("/openapi/v1.json");
        foreach (var path in new[] { "/v1/credentials/{name}", "/v1/keys", "/v1/keys/{id}/revoke", "/v1/keys/revoke-leaked", "/v1/inbound/verify", "/v1/agent/credentials" })
        {
            Assert.Contains($"\"{path}\"", openapi, StringComparison.Ordinal);
        }
    }
}
