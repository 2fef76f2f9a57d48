using Broker.Client.AspNetCore;
using Microsoft.AspNetCore.Authentication;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the broker's inbound key authentication scheme.</summary>
public static class BrokerInboundKeyExtensions
{
    /// <summary>Adds scheme <see cref="BrokerInboundKeyDefaults.AuthenticationScheme"/>; it uses the <c>BrokerClient</c> registered in DI (<c>AddBrokerClient</c>).</summary>
    /// <param name="builder">The authentication builder.</param>
    /// <param name="configure">Sets <see cref="BrokerInboundKeyOptions.Agent"/> (required).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static AuthenticationBuilder AddBrokerInboundKeys(this AuthenticationBuilder builder, Action<BrokerInboundKeyOptions>? configure = null)
        => builder.AddBrokerInboundKeys(BrokerInboundKeyDefaults.AuthenticationScheme, configure);

    /// <summary>Adds the inbound key scheme under <paramref name="authenticationScheme"/>.</summary>
    /// <param name="builder">The authentication builder.</param>
    /// <param name="authenticationScheme">The scheme's name.</param>
    /// <param name="configure">Sets <see cref="BrokerInboundKeyOptions.Agent"/> (required).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static AuthenticationBuilder AddBrokerInboundKeys(this AuthenticationBuilder builder, string authenticationScheme, Action<BrokerInboundKeyOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddScheme<BrokerInboundKeyOptions, BrokerInboundKeyHandler>(authenticationScheme, configure);
    }
}
