using Broker.Client.Aws;

namespace Broker.Client.Tests;

public sealed class BrokerAWSCredentialsWindowTests
{
    [Fact]
    public void PreExpiryWindow_IsFiveMinutes_OrAFifthOfShorterDurations()
    {
        Assert.Equal(TimeSpan.FromMinutes(3), BrokerAWSCredentials.WindowFor(TimeSpan.FromMinutes(15)));
        Assert.Equal(TimeSpan.FromMinutes(5), BrokerAWSCredentials.WindowFor(TimeSpan.FromHours(1)));
    }
}
