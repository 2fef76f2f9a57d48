namespace Broker.Vault.AzureKeyVault;

/// <summary>Key Vault's naming rules, checked before a name reaches a URL.</summary>
public static class KeyVaultNames
{
    /// <summary>A secret name: 1 to 127 ASCII letters, digits and dashes.</summary>
    public static bool IsValidSecretName([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? name) =>
        name is { Length: >= 1 and <= 127 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    /// <summary>A secret version: 32 hexadecimal characters as Key Vault makes them (letters and digits accepted).</summary>
    public static bool IsValidVersion(string? version) =>
        version is { Length: >= 1 and <= 64 } && version.All(char.IsAsciiLetterOrDigit);
}
