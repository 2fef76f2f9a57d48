using Microsoft.Extensions.Options;

namespace Broker.Credentials.Tests;

public sealed class LongPollLimiterTests
{
    [Fact]
    public void PerKeyCap_AndGlobalCap_EachRefuse_AndAReleaseMakesRoom()
    {
        var limiter = new LongPollLimiter(Options.Create(new AgentFeedOptions { MaxLongPollsPerKey = 2, MaxLongPolls = 3 }));

        Assert.True(limiter.TryEnter("a"));
        Assert.True(limiter.TryEnter("a"));
        Assert.False(limiter.TryEnter("a"));
        Assert.True(limiter.TryEnter("b"));
        Assert.False(limiter.TryEnter("c"));
        Assert.Equal(3, limiter.Waiting);

        limiter.Exit("a");
        Assert.True(limiter.TryEnter("c"));
        Assert.Equal(3, limiter.Waiting);
    }

    [Fact]
    public void Defaults_ServeAFleetSharingOneKey()
    {
        var options = new AgentFeedOptions();

        Assert.True(options.MaxLongPollsPerKey >= 256);
        Assert.True(options.MaxLongPolls >= options.MaxLongPollsPerKey);
    }
}
