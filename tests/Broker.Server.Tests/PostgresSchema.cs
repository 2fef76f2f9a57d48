using Npgsql;

namespace Broker.Server.Tests;

/// <summary>A fresh schema on the test PostgreSQL server for one broker, dropped afterwards.</summary>
internal sealed class PostgresSchema : IDisposable
{
    private PostgresSchema(string name, string connectionString)
    {
        Name = name;
        Settings = new Dictionary<string, string?>
        {
            ["Broker:Store"] = "postgres",
            ["ConnectionStrings:Broker"] = connectionString,
        };
    }

    public static string? ConnectionString => Environment.GetEnvironmentVariable("BROKER_TEST_POSTGRES") is { Length: > 0 } value ? value : null;

    public string Name { get; }

    /// <summary>The broker settings that point it at this schema.</summary>
    public Dictionary<string, string?> Settings { get; }

    public static PostgresSchema Create()
    {
        var baseString = ConnectionString ?? throw new InvalidOperationException("BROKER_TEST_POSTGRES is not set.");
        var name = "t_" + Guid.NewGuid().ToString("n");
        Execute(baseString, $"CREATE SCHEMA \"{name}\"");
        return new PostgresSchema(name, new NpgsqlConnectionStringBuilder(baseString) { SearchPath = name }.ConnectionString);
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        Execute(ConnectionString!, $"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE");
    }

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
