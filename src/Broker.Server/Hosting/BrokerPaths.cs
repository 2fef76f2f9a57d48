
namespace Broker.Server.Hosting;

public sealed record BrokerPaths(string DataDir)
{
    public string AdminKeyFile => Path.Combine(DataDir, "admin.key");

    public string KeyRingDir => Path.Combine(DataDir, "keys");

    public string SqliteFile => Path.Combine(DataDir, "broker.db");
}
