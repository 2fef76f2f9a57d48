using Broker.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the broker client and its HttpClient handler.</summary>
public static class BrokerServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="BrokerClient"/> as a singleton started with the host. Reuses the client that
    /// <c>AddBrokerCredentials</c> created on <paramref name="configuration"/> (one client, one long-poll per process),
    /// else binds section <c>Broker</c> and creates one (disposed with the container).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration root (or a configuration whose section <c>Broker</c> holds the options).</param>
    /// <returns>The services.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddBrokerClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var existing = FindClient(configuration);
        if (existing is not null)
        {
            services.TryAddSingleton(existing);
        }
        else
        {
            services.TryAddSingleton(sp =>
            {
                var options = new BrokerClientOptions();
                configuration.GetSection("Broker").Bind(options);
                options.LoggerFactory ??= sp.GetService<ILoggerFactory>();
                return new BrokerClient(options);
            });
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BrokerClientHostedService>());
        return services;
    }

    /// <summary>Registers a <see cref="BrokerClient"/> of its own, configured by <paramref name="configure"/>, as a singleton started with the host and disposed with the container.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; <see cref="BrokerClientOptions.Endpoint"/> and <see cref="BrokerClientOptions.ApiKey"/> are required.</param>
    /// <returns>The services.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddBrokerClient(this IServiceCollection services, Action<BrokerClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.TryAddSingleton(sp =>
        {
            var options = new BrokerClientOptions();
            configure(options);
            options.LoggerFactory ??= sp.GetService<ILoggerFactory>();
            return new BrokerClient(options);
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BrokerClientHostedService>());
        return services;
    }

    /// <summary>
    /// Adds a handler that puts the current value of credential <paramref name="credentialName"/> into header
    /// <paramref name="headerName"/> at send time, using the <see cref="BrokerClient"/> registered in DI. The credential
    /// goes only to the host and port of the client's <see cref="HttpClient.BaseAddress"/> as configured here
    /// (<c>AddHttpClient("x", c =&gt; c.BaseAddress = ...)</c>), never after a redirect to another host; to name the
    /// hosts yourself, use the overload with <see cref="BrokerCredentialHandlerOptions"/>.
    /// </summary>
    /// <param name="builder">The HttpClient builder.</param>
    /// <param name="credentialName">The credential's name.</param>
    /// <param name="headerName">The header, <c>Authorization</c> by default.</param>
    /// <param name="format">The header value with <c>{0}</c> for the credential, <c>Bearer {0}</c> by default.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A name is empty or <paramref name="format"/> lacks <c>{0}</c>.</exception>
    /// <remarks>When the client has no configured base address, its requests fail with an <see cref="InvalidOperationException"/> that says so.</remarks>
    public static IHttpClientBuilder AddBrokerCredential(this IHttpClientBuilder builder, string credentialName, string headerName = "Authorization", string format = "Bearer {0}")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(credentialName);
        ArgumentException.ThrowIfNullOrEmpty(headerName);
        ArgumentNullException.ThrowIfNull(format);
        if (!format.Contains("{0}", StringComparison.Ordinal))
        {
            throw new ArgumentException("The format must contain {0}.", nameof(format));
        }

        return builder.AddBrokerCredential(credentialName, options =>
        {
            options.HeaderName = headerName;
            options.Format = format;
        });
    }

    /// <summary>
    /// Adds a handler that puts the current value of credential <paramref name="credentialName"/> into a request header
    /// at send time, only for the hosts in <see cref="BrokerCredentialHandlerOptions.AllowedHosts"/> (when empty: the host
    /// and port of the client's configured <see cref="HttpClient.BaseAddress"/>), never after a redirect to another host.
    /// </summary>
    /// <param name="builder">The HttpClient builder.</param>
    /// <param name="credentialName">The credential's name.</param>
    /// <param name="configure">Sets the header, its format and the allowed hosts.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public static IHttpClientBuilder AddBrokerCredential(this IHttpClientBuilder builder, string credentialName, Action<BrokerCredentialHandlerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(credentialName);
        ArgumentNullException.ThrowIfNull(configure);
        var name = builder.Name;
        return builder.AddHttpMessageHandler(sp =>
        {
            var options = new BrokerCredentialHandlerOptions();
            configure(options);
            if (options.AllowedHosts.Count == 0 && ConfiguredBaseAddress(sp, name) is { } baseAddress)
            {
                options.AllowedHosts.Add(baseAddress.GetLeftPart(UriPartial.Authority));
            }

            return new BrokerCredentialHandler(sp.GetRequiredService<BrokerClient>(), credentialName, options);
        });
    }

    /// <summary>
    /// The base address that <c>AddHttpClient</c> and <c>ConfigureHttpClient</c> give the named client, found by applying
    /// them to a throwaway client: it is known before any request, so the first request cannot choose where the
    /// credential may go.
    /// </summary>
    private static Uri? ConfiguredBaseAddress(IServiceProvider services, string name)
    {
        var factoryOptions = services.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>().Get(name);
        if (factoryOptions.HttpClientActions.Count == 0)
        {
            return null;
        }

        using var probe = new HttpClient(new NeverSendHandler(), disposeHandler: true);
        foreach (var action in factoryOptions.HttpClientActions)
        {
            action(probe);
        }

        return probe.BaseAddress;
    }

    private static BrokerClient? FindClient(IConfiguration configuration)
        => configuration is IConfigurationRoot root
            ? root.Providers.OfType<BrokerConfigurationProvider>().Select(p => p.Client).FirstOrDefault()
            : null;

    private sealed class NeverSendHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => throw new InvalidOperationException("This client only reads the configured base address.");
    }
}
