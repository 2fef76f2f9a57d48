using Microsoft.AspNetCore.Authentication;

namespace Broker.Client.AspNetCore;

/// <summary>Options of the inbound key authentication handler.</summary>
public class BrokerInboundKeyOptions : AuthenticationSchemeOptions
{
    /// <summary>This agent's name, as the callers' keys name it in their <c>agents</c> patterns. Required.</summary>
    public string Agent { get; set; } = string.Empty;

    /// <summary>The <c>Retry-After</c> seconds sent with a 429 for a rate-limited key. Default 60.</summary>
    public int RateLimitRetryAfterSeconds { get; set; } = 60;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(Agent))
        {
            throw new ArgumentException("BrokerInboundKeyOptions.Agent is required.", nameof(Agent));
        }
    }
}
