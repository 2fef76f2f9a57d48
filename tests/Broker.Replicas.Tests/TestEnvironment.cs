using Npgsql;

namespace Broker.Replicas.Tests;

public static class TestEnvironment
{
    public static string? ConnectionString => Environment.GetEnvironmentVariable("BROKER_TEST_POSTGRES") is { Length: > 0 } value ? value : null;

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string RequireConnectionString() => ConnectionString ?? throw new InvalidOperationException(
        "CI=true but BROKER_TEST_POSTGRES is not set: the replica tests must run in CI.");

    /// <summary>Creates an empty database; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string serverConnectionString)
    {
        var name = "r_" + Guid.NewGuid().ToString("n");
        await using (var connection = new NpgsqlConnection(serverConnectionString))
        {
            await connection.OpenAsync();
            // The name is ours (a GUID), not input; identifiers cannot be bound parameters.
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string databaseConnectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(databaseConnectionString);
        var name = builder.Database!;
        NpgsqlConnection.ClearAllPools();
        builder.Database = "postgres";
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // Best effort: a leftover test database does no harm.
        }
    }
}
