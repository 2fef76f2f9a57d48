using Broker.Client.Tests;

namespace Broker.Client.AI.Tests;

internal static class AITestUtil
{
    /// <summary>A started client of the real broker with fast refreshes.</summary>
    public static async Task<BrokerClient> StartClientAsync(RealBroker broker)
    {
        var client = new BrokerClient(broker.Endpoint, broker.AgentKey, TestUtil.FastOptions());
        await client.StartAsync();
        return client;
    }

    /// <summary>Waits until the client's cache holds <paramref name="value"/> for <paramref name="name"/>.</summary>
    public static Task WaitForValueAsync(BrokerClient client, string name, string value)
        => TestUtil.WaitUntilAsync(() => client.TryGetCredential(name, out var c) && c.Value == value, $"{name} to reach the client's cache");

    public static string NewSecret(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
