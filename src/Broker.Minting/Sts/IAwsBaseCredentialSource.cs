namespace Broker.Minting.Sts;

/// <summary>Where <see cref="StsMinter"/> gets the base keys; the host adapts the credential store to it.</summary>
public interface IAwsBaseCredentialSource
{
    /// <summary>
    /// The decrypted shared value of the <c>aws</c> credential <paramref name="credentialName"/> in
    /// <paramref name="tenant"/>, or null when there is none (absent, or not of kind <c>aws</c>).
    /// Authorization is already checked by the caller; implementations record nothing about the value.
    /// </summary>
    Task<AwsBaseCredential?> GetAsync(string tenant, string credentialName, CancellationToken cancellationToken = default);
}
