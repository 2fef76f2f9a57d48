namespace Broker.Console.Tests;

/// <summary>The browser tests share one chromium and run one at a time (the machine is small).</summary>
[CollectionDefinition(Name)]
public sealed class ChromiumCollection : ICollectionFixture<Chromium>
{
    public const string Name = "chromium";
}
