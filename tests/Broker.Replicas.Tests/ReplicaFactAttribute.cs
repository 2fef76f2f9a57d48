namespace Broker.Replicas.Tests;

/// <summary>
/// A test that needs PostgreSQL (env <c>BROKER_TEST_POSTGRES</c>): skipped with the reason when it is not set, except
/// under <c>CI=true</c>, where it runs and fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReplicaFactAttribute : FactAttribute
{
    public ReplicaFactAttribute()
    {
        if (TestEnvironment.ConnectionString is null && !TestEnvironment.IsCi)
        {
            Skip = "Replica tests not run: set BROKER_TEST_POSTGRES to an Npgsql connection string of a role that may CREATE DATABASE; .ci/run does this.";
        }
    }
}
