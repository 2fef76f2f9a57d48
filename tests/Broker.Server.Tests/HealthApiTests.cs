using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Broker.Server.Tests;

public sealed class HealthApiTests
{
    [Fact]
    public async Task Readyz_OnAReadyBroker_Returns200WithStatusReady()
    {
        using var app = new BrokerApp();
        using var anonymous = app.ClientWith(null);
        using var response = await anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ready"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_WhenACheckFails_Returns503Problem_WithItsDescription_AndEveryCheckStatus()
    {
        using var app = new BrokerApp(services: s => s.AddHealthChecks().AddCheck("probe", () => HealthCheckResult.Unhealthy("The probe is down.")));
        using var anonymous = app.ClientWith(null);
        using var response = await anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await BrokerApp.JsonAsync(response);
        Assert.Equal(503, problem["status"]!.GetValue<int>());
        Assert.Equal("Not ready", problem["title"]!.GetValue<string>());
        Assert.Equal("The probe is down.", problem["detail"]!.GetValue<string>());
        Assert.Equal("healthy", problem["checks"]!["key-material"]!.GetValue<string>());
        Assert.Equal("healthy", problem["checks"]!["store"]!.GetValue<string>());
        Assert.Equal("unhealthy", problem["checks"]!["probe"]!.GetValue<string>());
    }

    [Fact]
    public async Task Readyz_WhenACheckThrows_Returns503_WithoutTheExceptionMessage()
    {
        using var app = new BrokerApp(services: s => s.AddHealthChecks().AddCheck("probe", (Func<HealthCheckResult>)(() => throw new InvalidOperationException("Host=db;Password=hunter2"))));
        using var anonymous = app.ClientWith(null);
        using var response = await anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
        Assert.Equal("The probe check failed.", (await BrokerApp.JsonAsync(response))["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Healthz_RunsNoCheck_AndStays200WhileTheBrokerIsNotReady()
    {
        using var app = new BrokerApp(services: s => s.AddHealthChecks().AddCheck("probe", () => HealthCheckResult.Unhealthy("The probe is down.")));
        using var anonymous = app.ClientWith(null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await anonymous.GetAsync("/readyz")).StatusCode);
        using var response = await anonymous.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());
    }
}
