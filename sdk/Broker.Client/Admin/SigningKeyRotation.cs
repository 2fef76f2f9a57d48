namespace Broker.Client.Admin;

/// <summary>The answer to a signing-key rotation.</summary>
/// <param name="Kid">The key that signs from now on.</param>
public sealed record SigningKeyRotation(
    string Kid);
