namespace Broker.Server.Tests;

/// <summary>
/// A test that needs PostgreSQL (env <c>BROKER_TEST_POSTGRES</c>, an Npgsql connection string): reported as skipped,
/// with the reason, without one; with <c>CI=true</c> it runs anyway and fails, because CI must test every store.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresSchema.ConnectionString is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = "PostgreSQL not tested: set BROKER_TEST_POSTGRES to an Npgsql connection string.";
        }
    }
}
