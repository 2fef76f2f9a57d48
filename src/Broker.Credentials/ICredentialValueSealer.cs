using Broker.Vault;

namespace Broker.Credentials;

/// <summary>
/// Called by the store inside its write transaction: compares the presented value with the current one and
/// seals the new one under the version the store assigns (the version is part of the associated data).
/// </summary>
public interface ICredentialValueSealer
{
    bool IsSameValue(CredentialRecord current);

    SealedValue Seal(int version);
}
