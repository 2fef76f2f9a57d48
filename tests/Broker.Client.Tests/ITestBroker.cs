namespace Broker.Client.Tests;

/// <summary>
/// What the tests need from a broker. <see cref="FakeBroker"/> implements it in memory; <see cref="RealBroker"/> runs
/// the real server and drives its admin API (PUT/DELETE /v1/credentials, POST /v1/keys, …).
/// </summary>
public interface ITestBroker : IAsyncDisposable
{
    Uri Endpoint { get; }

    /// <summary>An agent key whose patterns allow every credential the tests write.</summary>
    string AgentKey { get; }

    /// <summary>How many STS sessions were minted.</summary>
    int StsRequests { get; }

    /// <summary>The session policy of the last STS mint, as JSON text (null when none, or when it was not a JSON object).</summary>
    string? LastStsPolicy { get; }

    int? LastStsDurationSeconds { get; }

    /// <summary>The clock STS expirations are computed from.</summary>
    TimeProvider StsClock { get; set; }

    /// <summary>Writes a value; while the broker is stopped, the change is made where no client can see it until it is back.</summary>
    Task SetCredentialAsync(string name, string value, string? subject = null);

    /// <summary>Writes an <c>aws</c> credential whose STS calls succeed.</summary>
    Task SetAwsCredentialAsync(string name);

    Task RemoveCredentialAsync(string name);

    /// <summary>Creates a caller key that may call <paramref name="agent"/>; returns the key.</summary>
    Task<string> CreateInboundKeyAsync(string name, string agent, int? rateLimitPerMinute = null, int? quotaPerDay = null, DateTimeOffset? expiresAt = null);

    /// <summary>The broker's id of a key made by <see cref="CreateInboundKeyAsync"/>.</summary>
    string KeyIdOf(string key);

    Task RevokeInboundKeyAsync(string key);

    Task StopAsync();

    Task RestartAsync();
}
