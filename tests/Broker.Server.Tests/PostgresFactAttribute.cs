namespace Broker.Server.Tests;

/// <summary>
/// A test that needs PostgreSQL (env <c>BROKER_TEST_POSTGRES</c>, an Npgsql connection string): skipped with the
/// reason when it is not set, except under <c>CI=true</c>, where it runs and fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public const string Variable = "BROKER_TEST_POSTGRES";

    public PostgresFactAttribute()
    {
        if (ConnectionString is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = $"PostgreSQL not tested: set {Variable} to an Npgsql connection string; .ci/run does this.";
        }
    }

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;
}
