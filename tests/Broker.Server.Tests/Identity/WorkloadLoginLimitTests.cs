using System.Net;

namespace Broker.Server.Tests.Identity;

public sealed class WorkloadLoginLimitTests
{
    [Fact]
    public async Task Logins_AreRateLimitedPerClient_With429AndRetryAfter_BeforeAnyTokenWork()
    {
        using var app = new BrokerApp(settings: new() { ["Broker:WorkloadLogin:RequestsPerMinute"] = "3" });
        using var anonymous = app.ClientWith(null);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await WorkloadLoginTests.LoginAsync(anonymous, "not-a-jwt")).StatusCode);
        }

        var limited = await WorkloadLoginTests.LoginAsync(anonymous, "not-a-jwt");
        await Actors.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.NotNull(limited.Headers.RetryAfter);
    }
}
