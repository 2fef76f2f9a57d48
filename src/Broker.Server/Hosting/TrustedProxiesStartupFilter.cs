using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Broker.Server.Hosting;

/// <summary>
/// Applies <c>X-Forwarded-For</c> first in the pipeline, and only from the proxies in
/// <see cref="BrokerOptions.TrustedProxies"/>: the client address that throttling and the audit see is then the one the
/// proxy reports (its last hop). Without trusted proxies nothing is applied, so a client cannot choose its address.
/// </summary>
public sealed class TrustedProxiesStartupFilter(IOptions<BrokerOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var proxies = options.Value.TrustedProxies;
        if (proxies.Length > 0)
        {
            app.UseForwardedHeaders(ForwardedOptions(proxies));
        }

        next(app);
    };

    /// <exception cref="InvalidOperationException">An entry is neither an address nor a CIDR network.</exception>
    public static ForwardedHeadersOptions ForwardedOptions(IEnumerable<string> proxies)
    {
        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = 1 };

        // Not the framework's defaults (loopback): only what is configured.
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var proxy in proxies.Select(p => p.Trim()).Where(p => p.Length > 0))
        {
            if (proxy.Contains('/', StringComparison.Ordinal) && System.Net.IPNetwork.TryParse(proxy, out var network))
            {
                forwarded.KnownIPNetworks.Add(network);
            }
            else if (IPAddress.TryParse(proxy, out var address))
            {
                forwarded.KnownProxies.Add(address);
            }
            else
            {
                throw new InvalidOperationException($"Broker:TrustedProxies has '{proxy}', which is neither an IP address nor a CIDR network.");
            }
        }

        return forwarded;
    }
}
