namespace Broker.Client.AI.Tests;

/// <summary>A <see cref="BrokerClient"/> whose redactor the test fills (no broker): for the middleware's own tests.</summary>
public sealed class TestBrokerClient : BrokerClient
{
    private readonly SecretRedactor _redactor = new();

    public override SecretRedactor Redactor => _redactor;

    public TestBrokerClient With(string name, string value)
    {
        _redactor.Add(name, value);
        return this;
    }
}
