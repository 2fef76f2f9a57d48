using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Broker.Server.Tests;

/// <summary>The cases of the hostile-input review, one by one; <see cref="HostileInputFuzzTests"/> sweeps every route.</summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly BrokerApp _app = new();

    public void Dispose() => _app.Dispose();

    [Theory]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json;charset=utf-8")]
    [InlineData("application/json")]
    public async Task Put_WithAUtf8Charset_QuotedOrNot_IsAccepted(string contentType)
    {
        using var admin = _app.Admin();
        using var response = await admin.PutAsync("/v1/credentials/charset_ok", Body("{\"value\":\"v\"}", contentType));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("application/json; charset=foo")]
    [InlineData("application/json; charset=\"foo\"")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/json; charset=")]
    [InlineData("application/json; charset=utf-8; charset=utf-16")]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Put_WithAnythingButUtf8Json_Returns415_AndStoresNothing(string contentType)
    {
        using var admin = _app.Admin();
        using var response = await admin.PutAsync("/v1/credentials/charset_bad", Body("{\"value\":\"sk-charset-secret\"}", contentType));
        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "urn:broker:problem:unsupported-media-type", "sk-charset-secret");
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/credentials/charset_bad")).StatusCode);
    }

    [Fact]
    public async Task Rotate_WithInvalidUtf8Body_Returns400_AndRotatesNothing()
    {
        var (id, key) = await _app.CreateKeyAsync(new { name = "rotate-me", role = "admin" });
        using var admin = _app.Admin();
        byte[] body = [.. "{\"graceSeconds\":0,\"note\":\""u8.ToArray(), 0xFF, 0xFE, .. "\"}"u8.ToArray()];
        using var response = await admin.PostAsync($"/v1/keys/{id}/rotate", Body(body, "application/json"));
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request", key);
        Assert.Contains("UTF-8", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // The old secret still works, and no rotation was recorded.
        using var old = _app.ClientWith(key);
        Assert.Equal(HttpStatusCode.OK, (await old.GetAsync("/v1/keys")).StatusCode);
        var audit = await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit?action=key.rotate"));
        Assert.Empty(audit["items"]!.AsArray());
    }

    [Theory]
    [InlineData("/v1/credentials/utf8_check", "PUT", "{\"value\":\"sk-x\",\"kind\":\"")]
    [InlineData("/v1/keys", "POST", "{\"name\":\"k\",\"role\":\"agent\",\"x\":\"")]
    [InlineData("/v1/keys/revoke-leaked", "POST", "{\"key\":\"")]
    [InlineData("/v1/audit/value-reads", "POST", "{\"value\":\"")]
    public async Task AnyJsonRoute_WithInvalidUtf8_Returns400(string path, string method, string prefix)
    {
        using var admin = _app.Admin();
        byte[] body = [.. Encoding.UTF8.GetBytes(prefix), 0xC3, 0x28, .. "\"}"u8.ToArray()];
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Body(body, "application/json") };
        using var response = await admin.SendAsync(request);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
    }

    [Theory]
    [InlineData("\"x\"")]
    [InlineData("\"\"")]
    [InlineData("12")]
    [InlineData("\"9999-99-99T99:99:99Z\"")]
    [InlineData("\"0001-01-01T00:00:00+14:00\"")]
    public async Task CreateKey_WithMalformedExpiresAt_Returns400_NamingTheField_AndCreatesNothing(string expiresAt)
    {
        using var admin = _app.Admin();
        var before = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray().Count;
        using var response = await admin.PostAsync("/v1/keys", Body($"{{\"name\":\"dated\",\"role\":\"agent\",\"expiresAt\":{expiresAt}}}", "application/json"));
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
        Assert.NotNull(problem["errors"]?["expiresAt"]);
        Assert.Equal(before, (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("{\"name\":\"dup\",\"role\":\"agent\",\"role\":\"admin\"}")]
    [InlineData("{\"name\":\"dup\",\"role\":\"agent\",\"ROLE\":\"admin\"}")]
    public async Task CreateKey_WithAFieldTwice_Returns400_AndCreatesNothing(string body)
    {
        using var admin = _app.Admin();
        using var response = await admin.PostAsync("/v1/keys", Body(body, "application/json"));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
        var names = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/keys")))["items"]!.AsArray().Select(k => k!["name"]!.GetValue<string>());
        Assert.DoesNotContain("dup", names);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("[{\"value\":\"v\"}]")]
    [InlineData("{\"value\":12}")]
    [InlineData("{\"value\":\"v\",\"labels\":[]}")]
    [InlineData("{\"value\":\"v\"")]
    [InlineData("{\"value\":\"v\"}{}")]
    public async Task Put_WithABodyOfTheWrongShape_Returns400_AndStoresNothing(string body)
    {
        using var admin = _app.Admin();
        using var response = await admin.PutAsync("/v1/credentials/shape_check", Body(body, "application/json"));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/credentials/shape_check")).StatusCode);
    }

    [Fact]
    public async Task Put_WithDeepOrHugeJson_Returns4xx_AndStoresNothing()
    {
        using var admin = _app.Admin();
        var deep = "{\"value\":\"v\",\"labels\":" + string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 201);
        await AssertProblemAsync(await admin.PutAsync("/v1/credentials/deep_check", Body(deep, "application/json")), HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
        var huge = "{\"value\":\"v\",\"labels\":{\"n\":" + new string('9', 10_000) + "}}";
        await AssertProblemAsync(await admin.PutAsync("/v1/credentials/deep_check", Body(huge, "application/json")), HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
        var version = "{\"value\":\"v\"}";
        await AssertProblemAsync(await admin.PostAsync("/v1/keys", Body("{\"name\":\"n\",\"role\":\"agent\",\"rateLimitPerMinute\":99999999999999999999}", "application/json")),
            HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/credentials/deep_check")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsync("/v1/credentials/deep_check", Body(version, "application/json"))).StatusCode);
    }

    [Theory]
    [InlineData("/v1/credentials/" + "%01")]
    [InlineData("/v1/credentials/%C0%AF")]
    [InlineData("/v1/credentials/Upper")]
    [InlineData("/v1/credentials/%E2%80%AE")]
    public async Task CredentialRoutes_WithAnInvalidName_Return400(string path)
    {
        using var admin = _app.Admin();
        await AssertProblemAsync(await admin.GetAsync(path), HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
        await AssertProblemAsync(await admin.PutAsync(path, Body("{\"value\":\"v\"}", "application/json")), HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
        await AssertProblemAsync(await admin.DeleteAsync(path), HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
    }

    [Fact]
    public async Task CredentialRoutes_WithA10KbName_Return400()
    {
        using var admin = _app.Admin();
        var path = "/v1/credentials/" + new string('a', 10_240);
        await AssertProblemAsync(await admin.GetAsync(path), HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
        await AssertProblemAsync(await admin.PutAsync(path, Body("{\"value\":\"v\"}", "application/json")), HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
    }

    [Theory]
    [InlineData("/v1/agent/credentials?wait=61&since=0")]
    [InlineData("/v1/agent/credentials?wait=-1&since=0")]
    [InlineData("/v1/agent/credentials?wait=abc&since=0")]
    [InlineData("/v1/agent/credentials?wait=99999999999&since=0")]
    [InlineData("/v1/agent/credentials?wait=5")]
    [InlineData("/v1/agent/credentials?since=abc")]
    [InlineData("/v1/agent/credentials?since=-1")]
    [InlineData("/v1/agent/credentials?since=")]
    [InlineData("/v1/agent/credentials/x?subject=%00")]
    [InlineData("/v1/agent/credentials/x?subject=a%20b")]
    public async Task AgentRead_WithOutOfRangeOrMalformedQuery_Returns400(string path)
    {
        var (_, agent) = await _app.CreateKeyAsync(new { name = "q-agent", role = "agent", credentials = new[] { "*" } });
        using var client = _app.ClientWith(agent);
        await AssertProblemAsync(await client.GetAsync(path), HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request", agent);
    }

    [Theory]
    [InlineData("/v1/audit?limit=0")]
    [InlineData("/v1/audit?limit=1001")]
    [InlineData("/v1/audit?limit=abc")]
    [InlineData("/v1/audit?limit=99999999999")]
    [InlineData("/v1/audit?since=yesterday")]
    [InlineData("/v1/audit?since=0001-01-01T00:00:00%2B14:00")]
    [InlineData("/v1/audit?action=%00")]
    [InlineData("/v1/audit?action=a%0Ab")]
    [InlineData("/v1/audit?action=%C3%A9")]
    public async Task AuditList_WithOutOfRangeOrMalformedQuery_Returns400(string path)
    {
        using var admin = _app.Admin();
        await AssertProblemAsync(await admin.GetAsync(path), HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request", BrokerApp.AdminKey);
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("Bearer \u0001\u0002")]
    [InlineData("Bearer brk_\u00e9\u00ff")]
    [InlineData("Basic YWRtaW46eA==")]
    public async Task OddAuthorization_Gets401_WithTheOneUnauthenticatedBody(string authorization)
    {
        using var client = _app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        using var response = await client.GetAsync("/v1/credentials");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(Encoding.UTF8.GetString(Security.Problems.Unauthenticated), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TwoAuthorizationHeaders_Get401_EvenWhenOneIsValid()
    {
        using var client = _app.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", ["Bearer " + BrokerApp.AdminKey, "Bearer brk_other-key-aaaaaaaaaaaaaaaaaaaa"]);
        using var response = await client.GetAsync("/v1/credentials");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain(BrokerApp.AdminKey, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_ArriveAsProblemJson_WhateverAcceptSays()
    {
        using var admin = _app.Admin();
        admin.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/xml"));
        await AssertProblemAsync(await admin.PutAsync("/v1/credentials/accept_check", Body("{\"value\":", "application/json")),
            HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
        await AssertProblemAsync(await admin.PatchAsync("/v1/credentials/accept_check", Body("{}", "application/json")),
            HttpStatusCode.MethodNotAllowed, "urn:broker:problem:method-not-allowed");
        await AssertProblemAsync(await admin.GetAsync("/v1/no-such-route"), HttpStatusCode.NotFound, "urn:broker:problem:not-found");
    }

    [Fact]
    public async Task OpenApi_ServesV1_AndAnyOtherNameIsAProblem404()
    {
        using var anonymous = _app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/openapi/v1.json")).StatusCode);
        using var response = await anonymous.GetAsync("/openapi/%0D%0Ax.json");
        await AssertProblemAsync(response, HttpStatusCode.NotFound, "urn:broker:problem:not-found");
        Assert.DoesNotContain("\r\n", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlCharactersFromTheRequest_AreRecordedEscaped()
    {
        using var admin = _app.Admin();
        await AssertProblemAsync(await admin.DeleteAsync("/v1/credentials/escaped?subject=a%00b%01"), HttpStatusCode.BadRequest, "urn:broker:problem:invalid-request");
        var items = (await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit?action=credential.delete")))["items"]!.AsArray();
        var target = Assert.Single(items)!["target"]!.GetValue<string>();
        Assert.Equal("escaped?subject=a\\u0000b\\u0001", target);
        Assert.True((await BrokerApp.JsonAsync(await admin.GetAsync("/v1/audit/verify")))["valid"]!.GetValue<bool>());
    }

    private static async Task<JsonNode> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type, params string[] mustNotContain)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal(type, problem["type"]!.GetValue<string>());
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(problem["detail"]?.GetValue<string>()));
        foreach (var secret in mustNotContain)
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        return problem;
    }

    private static ByteArrayContent Body(string text, string contentType) => Body(Encoding.UTF8.GetBytes(text), contentType);

    private static ByteArrayContent Body(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        Assert.True(content.Headers.TryAddWithoutValidation("Content-Type", contentType));
        return content;
    }
}
