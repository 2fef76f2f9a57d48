namespace Broker.Server.Security;

/// <summary>
/// <c>Broker:Authentication</c>: how failed authentications are throttled and summarized per client address, so a
/// flood of bogus keys neither reaches the store nor grows the audit trail without bound (README, docs/revocation.md).
/// </summary>
public sealed class AuthenticationFailureOptions
{
    public const string Section = "Broker:Authentication";

    /// <summary>
    /// Failed authentications one client address may cause per <see cref="Window"/>; beyond it, a key the in-memory
    /// cache does not know as valid gets 429 without a store lookup until the window ends.
    /// </summary>
    public int FailureBudget { get; set; } = 50;

    /// <summary>The fixed window of <see cref="FailureBudget"/>, and the interval of the audit summaries.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How many client addresses are tracked at once (bounded memory); failures from further addresses share one
    /// overflow budget and summary until tracked windows end.
    /// </summary>
    public int MaxTrackedClients { get; set; } = 10_000;
}
