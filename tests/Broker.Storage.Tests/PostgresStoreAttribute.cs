using System.Reflection;
using Xunit.Sdk;

namespace Broker.Storage.Tests;

/// <summary>
/// Adds the "postgres" case to a store theory. Without a server (env <c>BROKER_TEST_POSTGRES</c>, an Npgsql
/// connection string) the case is reported as skipped, with the reason, never silently passed; with <c>CI=true</c>
/// it runs anyway and fails, because CI must test every store.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresStoreAttribute : DataAttribute
{
    public PostgresStoreAttribute()
    {
        if (TestPostgres.ConnectionString is null && !TestPostgres.IsCi)
        {
            Skip = TestPostgres.SkipReason;
        }
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [["postgres"]];
}
