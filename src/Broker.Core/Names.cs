namespace Broker.Core;

/// <summary>Validation of names at the edge, without regular expressions.</summary>
public static class Names
{
    public const int MaxCredentialNameLength = 128;
    public const int MaxKeyNameLength = 128;
    public const int MaxTenantLength = 64;
    public const int MaxSubjectLength = 256;

    /// <summary><c>^[a-z0-9][a-z0-9_.-]{0,127}$</c>.</summary>
    public static bool IsValidCredentialName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxCredentialNameLength)
        {
            return false;
        }

        if (!IsLowerAlnum(name[0]))
        {
            return false;
        }

        foreach (var c in name.AsSpan(1))
        {
            if (!IsLowerAlnum(c) && c != '_' && c != '.' && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Tenants share the credential-name alphabet, shorter.</summary>
    public static bool IsValidTenant(string? tenant) =>
        tenant is { Length: > 0 and <= MaxTenantLength } && IsValidCredentialName(tenant);

    /// <summary>Key names (and agent names) are printable ASCII without spaces or control characters.</summary>
    public static bool IsValidKeyName(string? name) => IsPrintableToken(name, MaxKeyNameLength);

    /// <summary>A subject (the user an agent acts for): printable ASCII, no spaces, at most 256 characters.</summary>
    public static bool IsValidSubject(string? subject) => IsPrintableToken(subject, MaxSubjectLength);

    /// <summary>A pattern is a name with <c>*</c> wildcards; printable ASCII, at most 128 characters.</summary>
    public static bool IsValidPattern(string? pattern) => IsPrintableToken(pattern, MaxKeyNameLength);

    private static bool IsPrintableToken(string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value) || value.Length > maxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c <= ' ' || c > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLowerAlnum(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
}
