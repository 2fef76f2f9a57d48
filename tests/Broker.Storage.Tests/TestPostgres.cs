using Npgsql;

namespace Broker.Storage.Tests;

/// <summary>The PostgreSQL server the tests use: each test gets its own schema, dropped afterwards.</summary>
public static class TestPostgres
{
    public const string Variable = "BROKER_TEST_POSTGRES";

    public const string SkipReason =
        "PostgreSQL store not tested: set BROKER_TEST_POSTGRES to an Npgsql connection string (e.g. " +
        "'Host=127.0.0.1;Port=5432;Username=broker;Password=broker;Database=broker'); .ci/run does this.";

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Creates a fresh schema and returns a connection string whose search path is that schema.</summary>
    public static (string ConnectionString, string Schema) CreateSchema()
    {
        var baseString = ConnectionString ?? throw new InvalidOperationException(
            $"CI=true but {Variable} is not set: the PostgreSQL store must be tested in CI. {SkipReason}");
        var schema = "t_" + Guid.NewGuid().ToString("n");
        using (var connection = new NpgsqlConnection(baseString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE SCHEMA \"{schema}\"", connection);
            command.ExecuteNonQuery();
        }

        return (new NpgsqlConnectionStringBuilder(baseString) { SearchPath = schema }.ConnectionString, schema);
    }

    public static void DropSchema(string schema)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
        command.ExecuteNonQuery();
    }
}
