namespace Broker.Core;

/// <summary>
/// What only the bootstrap admin key may do (API.md v1.1): rotate, revoke or change the bootstrap admin key itself,
/// create keys in another tenant, and rotate or retire the signing keys (they sign for every tenant). A refusal is
/// 403 with one of these messages, audited with <see cref="Reason"/>.
/// </summary>
public static class BootstrapRule
{
    /// <summary>The audit reason of a refusal under this rule.</summary>
    public const string Reason = "bootstrap_only";

    public const string ChangeBootstrapKey = "Only the bootstrap admin key may rotate, revoke or change the bootstrap admin key.";

    public const string ManageSigningKeys = "Only the bootstrap admin key may rotate or retire signing keys: they sign tokens for every tenant.";

    /// <summary>Refuses unless <paramref name="caller"/> is the bootstrap admin key.</summary>
    /// <exception cref="BrokerOperationException">Forbidden, with <paramref name="message"/>.</exception>
    public static void Demand(Caller caller, string message)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.IsBootstrap)
        {
            throw new BrokerOperationException(BrokerErrorKind.Forbidden, message);
        }
    }
}
