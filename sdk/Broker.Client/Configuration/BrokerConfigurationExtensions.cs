using Broker.Client;

namespace Microsoft.Extensions.Configuration;

/// <summary>Adds the broker's credentials to configuration.</summary>
public static class BrokerConfigurationExtensions
{
    /// <summary>
    /// Creates the process's <see cref="BrokerClient"/>, loads it synchronously, resolves <c>$&lt;credentials.NAME&gt;</c>
    /// in every configuration value added before this call, and serves each readable credential as <c>Credentials:NAME</c>.
    /// </summary>
    /// <param name="builder">The configuration builder.</param>
    /// <param name="endpoint">The broker's base address.</param>
    /// <param name="apiKey">The agent key.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="CredentialNotFoundException">At the first load (at <c>Build()</c>, or here with a <c>ConfigurationManager</c>): a placeholder names an unknown credential.</exception>
    /// <exception cref="BrokerException">At the first load: the broker cannot be reached within the start timeout and there is no disk cache, or it refused the key.</exception>
    public static IConfigurationBuilder AddBrokerCredentials(this IConfigurationBuilder builder, Uri endpoint, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(apiKey);
        return builder.AddBrokerCredentials(options =>
        {
            options.Endpoint = endpoint;
            options.ApiKey = apiKey;
        });
    }

    /// <summary>
    /// Creates the process's <see cref="BrokerClient"/> from <paramref name="configure"/>, loads it synchronously, resolves
    /// <c>$&lt;credentials.NAME&gt;</c> in every configuration value added before this call, and serves each readable credential
    /// as <c>Credentials:NAME</c>.
    /// </summary>
    /// <param name="builder">The configuration builder.</param>
    /// <param name="configure">Sets the options; <see cref="BrokerClientOptions.Endpoint"/> and <see cref="BrokerClientOptions.ApiKey"/> are required.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The options lack an endpoint or key.</exception>
    /// <exception cref="CredentialNotFoundException">At the first load: a placeholder names an unknown credential.</exception>
    /// <exception cref="BrokerException">At the first load: the broker cannot be reached within the start timeout and there is no disk cache, or it refused the key.</exception>
    public static IConfigurationBuilder AddBrokerCredentials(this IConfigurationBuilder builder, Action<BrokerClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new BrokerClientOptions();
        configure(options);
        if (options.Endpoint is null || string.IsNullOrWhiteSpace(options.ApiKey))
        {
            throw new ArgumentException("AddBrokerCredentials needs BrokerClientOptions.Endpoint and ApiKey.", nameof(configure));
        }

        return builder.Add(new BrokerConfigurationSource(options));
    }
}
