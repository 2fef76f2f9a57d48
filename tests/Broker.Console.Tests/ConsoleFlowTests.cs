using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Broker.Console.Tests;

/// <summary>The console in a real chromium against a real broker on Kestrel: what an admin or a responder does.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class ConsoleFlowTests(Chromium chromium) : IDisposable
{
    private readonly ConsoleBroker _broker = ConsoleBroker.Start();

    public void Dispose() => _broker.Dispose();

    [ChromiumFact]
    public async Task SignIn_ListsKeys_WithRoleTenantStatusLastUseAndGrants()
    {
        var agent = await _broker.CreateKeyAsync(new { name = "billing-agent", role = "agent", credentials = new[] { "db.*" } });
        using (var asAgent = _broker.Client(agent.Key))
        {
            Assert.Equal(HttpStatusCode.OK, (await asAgent.GetAsync("/v1/agent/credentials")).StatusCode);
        }

        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAndWaitAsync(ConsoleBroker.AdminKey);

        var row = session.Page.Locator("tr[data-key-name='billing-agent']");
        await Expect(row).ToContainTextAsync("agent");
        await Expect(row).ToContainTextAsync("default");
        await Expect(row.Locator(".status")).ToHaveTextAsync("active");
        await Expect(row.Locator("td").Nth(6)).Not.ToHaveTextAsync("—");
        await Expect(row.Locator("dl.grants")).ToContainTextAsync("db.*");
        await Expect(session.Page.Locator("tr[data-key-name='bootstrap-admin']")).ToContainTextAsync("admin");
        Assert.Equal(ConsoleBroker.AdminKey, await session.SessionStorageAsync("broker.console.key"));
        session.AssertClean();
    }

    [ChromiumFact]
    public async Task RevokeLeaked_RevokesTheKey_ShowsItRevoked_AndTheKeyStopsWorking()
    {
        var leaked = await _broker.CreateKeyAsync(new { name = "leaky-agent", role = "agent", credentials = new[] { "*" } });
        var responder = await _broker.CreateKeyAsync(new { name = "oncall", role = "responder" });
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAndWaitAsync(responder.Key);

        await session.Page.Locator("#leaked-key").FillAsync(leaked.Key);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Revoke leaked key" }).ClickAsync();

        await Expect(session.Page.Locator("#leaked-result")).ToContainTextAsync("Revoked leaky-agent (agent)");
        await Expect(session.Page.Locator("tr[data-key-name='leaky-agent'] .status")).ToHaveTextAsync("revoked");
        await Expect(session.Page.Locator("#leaked-key")).ToHaveValueAsync("");
        Assert.DoesNotContain(leaked.Key, await session.Page.ContentAsync(), StringComparison.Ordinal);
        using var asLeaked = _broker.Client(leaked.Key);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asLeaked.GetAsync("/v1/agent/credentials")).StatusCode);

        await session.Page.Locator("#leaked-key").FillAsync("brk_not-a-key-of-this-tenant-000000000000");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Revoke leaked key" }).ClickAsync();
        await Expect(session.Page.Locator("#leaked-result")).ToContainTextAsync("matches no key of this tenant");
        session.AssertClean();
    }

    [ChromiumFact]
    public async Task Revoke_TakesTwoClicks_ThenTheRowShowsRevoked()
    {
        await _broker.CreateKeyAsync(new { name = "old-agent", role = "agent", credentials = new[] { "*" } });
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAndWaitAsync(ConsoleBroker.AdminKey);

        var row = session.Page.Locator("tr[data-key-name='old-agent']");
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(row.Locator(".status")).ToHaveTextAsync("active");
        await row.GetByRole(AriaRole.Button, new() { Name = "Confirm revoke" }).ClickAsync();

        await Expect(session.Page.Locator("#keys-status")).ToContainTextAsync("Revoked old-agent.");
        await Expect(row.Locator(".status")).ToHaveTextAsync("revoked");
        session.AssertClean();
    }

    [ChromiumFact]
    public async Task Rotate_ShowsTheNewSecretOnce_AndItWorks()
    {
        var agent = await _broker.CreateKeyAsync(new { name = "rotating-agent", role = "agent", credentials = new[] { "*" } });
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAndWaitAsync(ConsoleBroker.AdminKey);

        var row = session.Page.Locator("tr[data-key-name='rotating-agent']");
        await row.GetByRole(AriaRole.Button, new() { Name = "Rotate" }).ClickAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Rotate now" }).ClickAsync();

        var secret = session.Page.Locator("#new-secret");
        await Expect(secret).ToContainTextAsync("brk_");
        var newKey = await secret.TextContentAsync();
        Assert.NotEqual(agent.Key, newKey);
        using (var asNew = _broker.Client(newKey))
        {
            Assert.Equal(HttpStatusCode.OK, (await asNew.GetAsync("/v1/agent/credentials")).StatusCode);
        }

        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Hide" }).ClickAsync();
        await Expect(secret).ToHaveCountAsync(0);
        session.AssertClean();
    }

    [ChromiumFact]
    public async Task Credentials_ListAndVersions_NeverShowAValue()
    {
        const string First = "s3cr3t-value-one-7f1c";
        const string Second = "s3cr3t-value-two-9d2e";
        await _broker.PutCredentialAsync("db.password", First, new() { ["team"] = "billing" });
        await _broker.PutCredentialAsync("db.password", Second, new() { ["team"] = "billing" });
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAndWaitAsync(ConsoleBroker.AdminKey);
        await session.GoToAsync("credentials");

        var row = session.Page.Locator("tr[data-credential='db.password']");
        await Expect(row).ToContainTextAsync("team=billing");
        await Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("2");
        await row.GetByRole(AriaRole.Button, new() { Name = "db.password" }).ClickAsync();
        await Expect(session.Page.Locator("#credential-detail tbody tr")).ToHaveCountAsync(2);

        var html = await session.Page.ContentAsync();
        Assert.DoesNotContain(First, html, StringComparison.Ordinal);
        Assert.DoesNotContain(Second, html, StringComparison.Ordinal);
        session.AssertClean();
    }

    [ChromiumFact]
    public async Task Audit_ShowsRecords_FiltersByAction_AndTheChainVerification()
    {
        await _broker.CreateKeyAsync(new { name = "audited-agent", role = "agent", credentials = new[] { "*" } });
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAndWaitAsync(ConsoleBroker.AdminKey);
        await session.GoToAsync("audit");

        await Expect(session.Page.Locator("#audit-verify")).ToContainTextAsync("Chain verified");
        await Expect(session.Page.Locator("#audit-verify")).ToContainTextAsync("intact");
        await Expect(session.Page.Locator("#audit-records")).ToContainTextAsync("key.create");

        await session.Page.Locator("#audit-action").SelectOptionAsync("request.denied");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(session.Page.Locator("#audit-records")).Not.ToContainTextAsync("key.create");
        session.AssertClean();
    }

    [ChromiumFact]
    public async Task Audit_AsResponder_ShowsRecords_AndThatVerificationNeedsAnAdmin()
    {
        var responder = await _broker.CreateKeyAsync(new { name = "oncall", role = "responder" });
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAndWaitAsync(responder.Key);
        await session.GoToAsync("audit");

        await Expect(session.Page.Locator("#audit-verify")).ToContainTextAsync("needs an admin key");
        await Expect(session.Page.Locator("#audit-records")).ToContainTextAsync("key.create");
        session.AssertClean();
    }

    [ChromiumFact]
    public async Task SignOut_ClearsSessionStorage_AndShowsTheSignIn()
    {
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAndWaitAsync(ConsoleBroker.AdminKey);
        Assert.Equal(1, await session.Page.EvaluateAsync<int>("() => sessionStorage.length"));

        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await Expect(session.Page.Locator("#sign-in")).ToBeVisibleAsync();
        Assert.Equal(0, await session.Page.EvaluateAsync<int>("() => sessionStorage.length"));
        Assert.Equal(0, await session.Page.EvaluateAsync<int>("() => localStorage.length"));
        Assert.Empty(await session.Context.CookiesAsync());
        await session.Page.ReloadAsync();
        await Expect(session.Page.Locator("#sign-in")).ToBeVisibleAsync();
        session.AssertClean();
    }

    [ChromiumFact]
    public async Task WrongKey_ShowsAnError_AndKeepsNothing()
    {
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAsync("brk_wrong-key-0000000000000000000000000000");

        await Expect(session.Page.Locator("#sign-in-status")).ToContainTextAsync("not accepted");
        await Expect(session.Page.Locator("#nav")).ToBeHiddenAsync();
        Assert.Equal(0, await session.Page.EvaluateAsync<int>("() => sessionStorage.length"));
        session.AssertClean();
    }

    [ChromiumFact]
    public async Task AgentAndCallerKeys_AreForbidden_InTheApiAndTheConsole()
    {
        var agent = await _broker.CreateKeyAsync(new { name = "an-agent", role = "agent", credentials = new[] { "*" } });
        var caller = await _broker.CreateKeyAsync(new { name = "a-caller", role = "caller", agents = new[] { "*" } });
        foreach (var key in new[] { agent.Key, caller.Key })
        {
            using var client = _broker.Client(key);
            foreach (var route in new[] { "/v1/keys", "/v1/credentials", "/v1/audit", "/v1/audit/verify" })
            {
                Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(route)).StatusCode);
            }

            await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
            await session.SignInAsync(key);
            await Expect(session.Page.Locator("#sign-in-status")).ToContainTextAsync("Forbidden");
            Assert.Equal(0, await session.Page.EvaluateAsync<int>("() => sessionStorage.length"));
            session.AssertClean();
        }
    }

    [ChromiumFact]
    public async Task Responder_SeesForbidden_OnCredentials()
    {
        var responder = await _broker.CreateKeyAsync(new { name = "oncall", role = "responder" });
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAndWaitAsync(responder.Key);
        await session.GoToAsync("credentials");

        await Expect(session.Page.Locator("#page-credentials .notice.error")).ToContainTextAsync("Forbidden");
        session.AssertClean();
    }

    [ChromiumFact]
    public async Task KeyRevokedWhileSignedIn_SignsOut()
    {
        var admin = await _broker.CreateKeyAsync(new { name = "temp-admin", role = "admin" });
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAndWaitAsync(admin.Key);
        using (var bootstrap = _broker.Client())
        {
            Assert.Equal(HttpStatusCode.OK, (await bootstrap.PostAsync($"/v1/keys/{admin.Id}/revoke", null)).StatusCode);
        }

        await session.Page.Locator("nav a[data-page='audit']").ClickAsync();
        await Expect(session.Page.Locator("#sign-in-status")).ToContainTextAsync("no longer accepted");
        Assert.Equal(0, await session.Page.EvaluateAsync<int>("() => sessionStorage.length"));
    }

    [ChromiumFact]
    public async Task Approvals_AnApproverSeesThePendingRequest_ApprovesOne_DeniesAnother()
    {
        var agent = await _broker.CreateKeyAsync(new
        {
            name = "pay-agent", role = "agent", tokens = new { audiences = new[] { "*" }, scopes = new[] { "*" } },
            approval = new { scopes = new[] { "payments:*" } },
        });
        var approver = await _broker.CreateKeyAsync(new { name = "alice", role = "approver" });
        using var asAgent = _broker.Client(agent.Key);
        async Task<string> HeldAsync(string task)
        {
            using var held = await asAgent.PostAsJsonAsync("/v1/tokens", new { audience = "https://pay.example", task, scopes = new[] { "payments:write" } });
            Assert.Equal(HttpStatusCode.Accepted, held.StatusCode);
            return System.Text.Json.Nodes.JsonNode.Parse(await held.Content.ReadAsStringAsync())!["approvalId"]!.GetValue<string>();
        }

        var first = await HeldAsync("refund-1");
        var second = await HeldAsync("refund-2");
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAsync(approver.Key);
        await Expect(session.Page.Locator("#page-approvals")).ToBeVisibleAsync();

        var firstRow = session.Page.Locator($"tr[data-approval='{first}']");
        await Expect(firstRow).ToContainTextAsync("pay-agent");
        await Expect(firstRow).ToContainTextAsync("payments:write");
        await Expect(firstRow).ToContainTextAsync("refund-1");
        await firstRow.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Expect(session.Page.Locator("#approvals-status")).ToContainTextAsync("Approved");
        await Expect(firstRow).ToHaveCountAsync(0);

        var secondRow = session.Page.Locator($"tr[data-approval='{second}']");
        await secondRow.GetByRole(AriaRole.Textbox, new() { Name = "Reason" }).FillAsync("not this one");
        await secondRow.GetByRole(AriaRole.Button, new() { Name = "Deny" }).ClickAsync();
        await Expect(session.Page.Locator("#approvals-status")).ToContainTextAsync("Denied");
        await Expect(session.Page.Locator("#approvals-list")).ToContainTextAsync("Nothing is waiting for a decision.");

        using var asApprover = _broker.Client(approver.Key);
        var decided = System.Text.Json.Nodes.JsonNode.Parse(await asApprover.GetStringAsync($"/v1/approvals/{second}"))!;
        Assert.Equal("denied", decided["status"]!.GetValue<string>());
        Assert.Equal("not this one", decided["reason"]!.GetValue<string>());
        Assert.Equal("approved", System.Text.Json.Nodes.JsonNode.Parse(await asApprover.GetStringAsync($"/v1/approvals/{first}"))!["status"]!.GetValue<string>());
        session.AssertClean();
    }

    [ChromiumFact]
    public async Task Identity_ListsIssuersAndProfiles_DeleteTakesTwoClicks_AndAResponderIsToldItIsForAdmins()
    {
        using (var admin = _broker.Client())
        {
            var issuer = new { name = "k8s", issuer = "https://k8s.console.example", jwksUri = "https://k8s.console.example/jwks", audiences = new[] { "broker" }, use = "workloads" };
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/issuers", issuer)).StatusCode);
            var profile = new
            {
                name = "ci-runners", issuer = "k8s", subject = "system:serviceaccount:ci:*", claims = new Dictionary<string, string> { ["kubernetes.io/namespace"] = "ci" },
                key = new { credentials = new[] { "app-*" }, tokens = new { audiences = new[] { "https://api.example" } } }, ttlSeconds = 600,
            };
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/workload-profiles", profile)).StatusCode);
        }

        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAndWaitAsync(ConsoleBroker.AdminKey);
        await session.GoToAsync("identity");
        var issuerRow = session.Page.Locator("tr[data-issuer='k8s']");
        await Expect(issuerRow).ToContainTextAsync("workloads");
        await Expect(issuerRow).ToContainTextAsync("https://k8s.console.example");
        var profileRow = session.Page.Locator("tr[data-profile='ci-runners']");
        await Expect(profileRow).ToContainTextAsync("system:serviceaccount:ci:*");
        await Expect(profileRow).ToContainTextAsync("kubernetes.io/namespace=ci");
        await Expect(profileRow).ToContainTextAsync("app-*");
        await Expect(profileRow).ToContainTextAsync("600\u00a0s");

        await profileRow.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(profileRow).ToHaveCountAsync(1);
        await profileRow.GetByRole(AriaRole.Button, new() { Name = "Confirm delete" }).ClickAsync();
        await Expect(session.Page.Locator("#identity-status")).ToContainTextAsync("Deleted workload profile ci-runners.");
        await Expect(session.Page.Locator("#profiles-list")).ToContainTextAsync("No workload profiles.");
        using (var admin = _broker.Client())
        {
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/workload-profiles/ci-runners")).StatusCode);
        }

        session.AssertClean();
        var responder = await _broker.CreateKeyAsync(new { name = "oncall-identity", role = "responder" });
        await using var asResponder = await ConsoleSession.OpenAsync(chromium, _broker);
        await asResponder.SignInAndWaitAsync(responder.Key);
        await asResponder.GoToAsync("identity");
        await Expect(asResponder.Page.Locator("#issuers-list")).ToContainTextAsync("Only admin keys");
        asResponder.AssertClean();
    }

    [ChromiumFact]
    public async Task HostileNamesAndLabels_AreShownAsText_NeverAsMarkup()
    {
        const string ScriptLabel = "<script>window.__pwned=1</script>";
        const string ImageName = "<img/src=x/onerror=window.__pwned=2>";
        await _broker.CreateKeyAsync(new { name = ImageName, role = "agent", credentials = new[] { "<script>*" } });
        await _broker.PutCredentialAsync("hostile.label", "v", new() { ["note"] = ScriptLabel, ["img"] = ImageName });
        await using var session = await ConsoleSession.OpenAsync(chromium, _broker);
        await session.SignInAndWaitAsync(ConsoleBroker.AdminKey);

        var keyRow = session.Page.Locator("#keys-list tbody tr").Filter(new() { HasText = ImageName });
        await Expect(keyRow.Locator("td").First).ToHaveTextAsync(ImageName);
        await Expect(keyRow.Locator("dl.grants")).ToContainTextAsync("<script>*");
        await Expect(session.Page.Locator("#keys-list img")).ToHaveCountAsync(0);

        await session.GoToAsync("credentials");
        var labels = session.Page.Locator("tr[data-credential='hostile.label'] ul.labels");
        await Expect(labels).ToContainTextAsync("note=" + ScriptLabel);
        await Expect(labels).ToContainTextAsync("img=" + ImageName);
        await Expect(session.Page.Locator("#credentials-list img, #credentials-list script")).ToHaveCountAsync(0);

        await session.GoToAsync("audit");
        await Expect(session.Page.Locator("#audit-records")).ToContainTextAsync(ImageName);
        await Expect(session.Page.Locator("#audit-records img")).ToHaveCountAsync(0);
        Assert.True(await session.Page.EvaluateAsync<bool>("() => window.__pwned === undefined"));
        session.AssertClean();
    }
}
