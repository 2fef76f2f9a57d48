namespace Broker.Minting.Sts;

/// <summary>Options under <c>Broker:Aws</c>.</summary>
public sealed class AwsStsOptions
{
    public const string SectionName = "Broker:Aws";

    /// <summary>The STS endpoint (<c>Broker:Aws:ServiceUrl</c>); unset means AWS's own regional endpoint.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The signing region (<c>Broker:Aws:Region</c>, default <c>us-east-1</c>).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Per-attempt timeout of an STS call (<c>Broker:Aws:Timeout</c>, default 10 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries the AWS SDK makes on throttling and transient errors (<c>Broker:Aws:MaxErrorRetry</c>, default 2).</summary>
    public int MaxErrorRetry { get; set; } = 2;
}
