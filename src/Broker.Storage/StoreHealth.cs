namespace Broker.Storage;

/// <summary>The readiness check every store registers: one name, one message when the database does not answer.</summary>
public static class StoreHealth
{
    /// <summary>The name the store's health check is registered under.</summary>
    public const string CheckName = "store";

    public const string DoesNotAnswer = "The store does not answer.";
}
