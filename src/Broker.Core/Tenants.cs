namespace Broker.Core;

public static class Tenants
{
    /// <summary>The tenant of the bootstrap admin key.</summary>
    public const string Default = "default";
}
