
namespace Broker.Server.Hosting;

/// <summary>The <c>Broker</c> configuration section (<c>Broker__X</c> in the environment).</summary>
public sealed class BrokerOptions
{
    public const string Section = "Broker";

    /// <summary>Where the embedded store, the Data Protection key ring and admin.key live.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>32 random bytes, base64: the key-encryption key instead of the Data Protection key ring.</summary>
    public string? MasterKey { get; set; }

    /// <summary>A <c>brk_</c> value to use as the bootstrap admin key instead of generating one.</summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>Request bodies above this get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Reverse proxies (addresses, or networks in CIDR notation) whose <c>X-Forwarded-For</c> names the client.
    /// Empty (the default): the client is the connection's remote address and forwarded headers are ignored.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];
}
