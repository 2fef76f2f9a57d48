using System.ComponentModel;
using System.Security.Cryptography;
using System.Text;
using ModelContextProtocol.Server;

/// <summary>Tools that use the credentials the client put in this process's environment.</summary>
[McpServerToolType]
public sealed class EnvironmentTools
{
    /// <summary>
    /// Echoes a variable (as a careless tool would: the client must scrub it) and its SHA-256, which lets the test check
    /// the value without seeing it.
    /// </summary>
    [McpServerTool(Name = "read_env"), Description("Reads an environment variable of the tool process.")]
    public static string ReadEnv([Description("The variable's name.")] string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return value is null
            ? $"{name} is not set"
            : $"{name}={value} sha256={Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)))} pid={Environment.ProcessId}";
    }
}
