namespace Broker.Client.Tests;

/// <summary>
/// What the tests need from a broker. <see cref="FakeBroker"/> implements it in memory; an implementation
/// over the real server drives the admin API (PUT/DELETE /v1/credentials, POST /v1/keys, …) instead.
/// </summary>
public interface ITestBroker : IAsyncDisposable
{
    Uri Endpoint { get; }

    /// <summary>An agent key whose patterns allow every credential the tests write.</summary>
    string AgentKey { get; }

    Task SetCredentialAsync(string name, string value, string? subject = null);

    Task RemoveCredentialAsync(string name);

    /// <summary>Creates a caller key that may call <paramref name="agent"/>; returns the key.</summary>
    Task<string> CreateInboundKeyAsync(string name, string agent);

    Task RevokeInboundKeyAsync(string key);

    Task StopAsync();

    Task RestartAsync();
}
