namespace Broker.Server.Tests;

/// <summary>Grants as wide as an agent key had before grants existed, for tests about something else than grants.</summary>
internal static class WideGrants
{
    public static readonly object Tokens = new { audiences = new[] { "*" }, scopes = new[] { "*" } };

    public static readonly object Sts = new { roles = new[] { "*" }, maxDurationSeconds = 43200 };
}
