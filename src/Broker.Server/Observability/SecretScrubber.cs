using System.Text.RegularExpressions;

namespace Broker.Server.Observability;

/// <summary>
/// Masks what looks like a secret in text bound for a log: broker keys (kept to their 12-character prefix,
/// which lists and logs may show), bearer tokens, JWTs, AWS access key ids and secret-looking assignments.
/// A last line of defence for a value that reaches a log call by mistake; code never logs values on purpose.
/// </summary>
public static partial class SecretScrubber
{
    public static string Scrub(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        try
        {
            text = BrokerKey().Replace(text, m => m.Value[..12] + "…[REDACTED]");
            text = Bearer().Replace(text, "Bearer [REDACTED]");
            text = Jwt().Replace(text, "[REDACTED:jwt]");
            text = AwsAccessKeyId().Replace(text, "[REDACTED:aws-key-id]");
            return Assignment().Replace(text, m => m.Groups["name"].Value + m.Groups["sep"].Value + "[REDACTED]");
        }
        catch (RegexMatchTimeoutException)
        {
            // Fail closed: text that could not be checked in time (a starved CPU) is masked whole, and a log call
            // never throws (an exception from a logger can end the process).
            return Unchecked;
        }
    }

    /// <summary>What replaces a text the scrubber could not check in time.</summary>
    public const string Unchecked = "[REDACTED: log text not checked in time]";

    [GeneratedRegex(@"brk_[A-Za-z0-9_\-]{12,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex BrokerKey();

    [GeneratedRegex(@"(?i)bearer\s+[A-Za-z0-9._~+/=\-]{8,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Bearer();

    [GeneratedRegex(@"eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Jwt();

    [GeneratedRegex(@"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex AwsAccessKeyId();

    [GeneratedRegex(@"(?i)(?<name>""?(?:secret|secretaccesskey|password|value|apikey|api_key|token|sessiontoken)""?)(?<sep>\s*[:=]\s*)""?[^\s"",}]{6,}""?", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Assignment();
}
