namespace Broker.Client.Admin;

/// <summary>The answer to a signing-key retirement.</summary>
/// <param name="Kid">The retired key.</param>
/// <param name="Status"><c>retired</c>.</param>
/// <param name="Current">The key that signs now.</param>
public sealed record SigningKeyRetirement(
    string Kid,
    string Status,
    string Current);
