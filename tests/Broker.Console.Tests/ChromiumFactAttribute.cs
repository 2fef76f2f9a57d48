namespace Broker.Console.Tests;

/// <summary>
/// A test that drives Debian's chromium (<c>/usr/bin/chromium</c>): skipped with the reason when it is missing,
/// except under <c>CI=true</c>, where it runs and fails (.ci/run installs chromium).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ExecutablePath) && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = $"Console browser tests not run: {ExecutablePath} is missing (apt-get install -y chromium; .ci/run does this).";
        }
    }
}
