namespace Broker.Client.AspNetCore;

/// <summary>Defaults of the inbound key authentication scheme.</summary>
public static class BrokerInboundKeyDefaults
{
    /// <summary>The scheme's name, <c>BrokerInboundKey</c>.</summary>
    public const string AuthenticationScheme = "BrokerInboundKey";
}
