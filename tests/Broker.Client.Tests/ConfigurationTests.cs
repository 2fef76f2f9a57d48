using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Client.Tests;

/// <summary>The configuration provider, options reload and HttpClient injection, against the real server and the fake.</summary>
public abstract class ConfigurationTests : IAsyncLifetime
{
    private ITestBroker _broker = null!;

    protected abstract Task<ITestBroker> StartBrokerAsync();

    public async Task InitializeAsync()
    {
        _broker = await StartBrokerAsync();
        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-one-0001");
        await _broker.SetCredentialAsync("db_password", "db-password-000000001");
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private IConfigurationRoot Build(Dictionary<string, string?> values)
        => new ConfigurationBuilder()
            .AddInMemoryCollection(values)
            .AddBrokerCredentials(o =>
            {
                o.Endpoint = _broker.Endpoint;
                o.ApiKey = _broker.AgentKey;
                o.MaxRetryDelay = TimeSpan.FromMilliseconds(300);
                o.LongPollWait = TimeSpan.FromSeconds(20);
            })
            .Build();

    private static BrokerConfigurationProvider Provider(IConfigurationRoot root) => root.Providers.OfType<BrokerConfigurationProvider>().Single();

    [Fact]
    public void AddBrokerCredentials_ResolvesEarlierValues_AndServesCredentials()
    {
        var root = Build(new()
        {
            ["OpenAI:ApiKey"] = "$<credentials.openai_key>",
            ["Db:ConnectionString"] = "Host=db;Password=$<credentials.db_password>;",
            ["Plain"] = "unchanged",
        });
        using var _ = (IDisposable)root;

        Assert.Equal("sk-openai-version-one-0001", root["OpenAI:ApiKey"]);
        Assert.Equal("Host=db;Password=db-password-000000001;", root["Db:ConnectionString"]);
        Assert.Equal("unchanged", root["Plain"]);
        Assert.Equal("sk-openai-version-one-0001", root["Credentials:openai_key"]);
    }

    [Fact]
    public void AddBrokerCredentials_UnknownPlaceholder_FailsTheBuild_NamingKeyAndPlaceholder()
    {
        var ex = Assert.Throws<CredentialNotFoundException>(() => Build(new() { ["Search:Key"] = "$<credentials.search_key>" }));
        Assert.Equal("search_key", ex.Name);
        Assert.Contains("Search:Key", ex.Message, StringComparison.Ordinal);
        Assert.Contains("$<credentials.search_key>", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddBrokerCredentials_WithConfigurationManager_FailsAtTheAddCall()
    {
        using var manager = new ConfigurationManager();
        manager.AddInMemoryCollection(new Dictionary<string, string?> { ["X"] = "$<credentials.nope>" });
        var ex = Assert.Throws<CredentialNotFoundException>(() => manager.AddBrokerCredentials(_broker.Endpoint, _broker.AgentKey));
        Assert.Equal("nope", ex.Name);
    }

    [Fact]
    public async Task OptionsMonitor_SeesTheRotation()
    {
        var root = Build(new() { ["OpenAI:ApiKey"] = "$<credentials.openai_key>" });
        using var _ = (IDisposable)root;
        var services = new ServiceCollection();
        services.Configure<OpenAiOptions>(root.GetSection("OpenAI"));
        await using var sp = services.BuildServiceProvider();
        var monitor = sp.GetRequiredService<IOptionsMonitor<OpenAiOptions>>();
        Assert.Equal("sk-openai-version-one-0001", monitor.CurrentValue.ApiKey);

        var reloaded = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = monitor.OnChange(o => reloaded.TrySetResult(o.ApiKey));
        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-two-0002");

        Assert.Equal("sk-openai-version-two-0002", await reloaded.Task.WithDeadline("the options reload"));
        Assert.Equal("sk-openai-version-two-0002", monitor.CurrentValue.ApiKey);
    }

    [Fact]
    public void ReloadToken_FiresOnlyWhenTheDataChanged()
    {
        var root = Build(new() { ["OpenAI:ApiKey"] = "$<credentials.openai_key>" });
        using var _ = (IDisposable)root;
        var provider = Provider(root);
        var fired = 0;
        using var registration = provider.GetReloadToken().RegisterChangeCallback(_ => fired++, null);

        Assert.False(provider.Refresh());
        root.Reload();
        Assert.Equal(0, fired);
    }

    [Fact]
    public async Task FailedReload_KeepsTheLastGoodValues()
    {
        var root = Build(new() { ["OpenAI:ApiKey"] = "$<credentials.openai_key>" });
        using var _ = (IDisposable)root;
        var provider = Provider(root);
        var removed = TestUtil.NextChangeAsync(provider.Client);

        await _broker.RemoveCredentialAsync("openai_key");
        await removed.WithDeadline("the removal");

        Assert.False(provider.Refresh());
        Assert.Equal("sk-openai-version-one-0001", root["OpenAI:ApiKey"]);
    }

    [Fact]
    public async Task AddBrokerClient_ReusesTheClientFromConfiguration()
    {
        var root = Build(new());
        using var _ = (IDisposable)root;
        var services = new ServiceCollection();
        services.AddBrokerClient(root);
        await using var sp = services.BuildServiceProvider();

        Assert.Same(Provider(root).Client, sp.GetRequiredService<BrokerClient>());
    }

    [Fact]
    public async Task AddBrokerClient_BindsSectionBroker_WhenNoProvider()
    {
        var root = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Broker:Endpoint"] = _broker.Endpoint.ToString(),
            ["Broker:ApiKey"] = _broker.AgentKey,
            ["Broker:LongPoll"] = "false",
            ["Broker:PollInterval"] = "00:00:01",
        }).Build();
        var services = new ServiceCollection();
        services.AddBrokerClient(root);
        await using var sp = services.BuildServiceProvider();
        var client = sp.GetRequiredService<BrokerClient>();
        foreach (var hosted in sp.GetServices<Microsoft.Extensions.Hosting.IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        Assert.Equal("sk-openai-version-one-0001", client.GetCredential("openai_key").Value);
        Assert.False(client.Options.LongPoll);
    }

    [Fact]
    public async Task AddBrokerCredential_InjectsTheCurrentValueAtSendTime()
    {
        var capture = new CapturingHandler();
        var services = new ServiceCollection();
        services.AddBrokerClient(o =>
        {
            o.Endpoint = _broker.Endpoint;
            o.ApiKey = _broker.AgentKey;
            o.LongPollWait = TimeSpan.FromSeconds(20);
        });
        services.AddHttpClient("openai", c => c.BaseAddress = new Uri("http://model.invalid/")).AddBrokerCredential("openai_key").ConfigurePrimaryHttpMessageHandler(() => capture);
        services.AddHttpClient("search").AddBrokerCredential("db_password", o =>
        {
            o.HeaderName = "X-Api-Key";
            o.Format = "{0}";
            o.AllowedHosts.Add("search.invalid");
        }).ConfigurePrimaryHttpMessageHandler(() => capture);
        await using var sp = services.BuildServiceProvider();
        var client = sp.GetRequiredService<BrokerClient>();
        await client.StartAsync();
        var factory = sp.GetRequiredService<IHttpClientFactory>();

        await factory.CreateClient("openai").GetAsync("http://model.invalid/v1");
        Assert.Equal("Bearer sk-openai-version-one-0001", capture.Last!.Headers.Authorization!.ToString());
        await factory.CreateClient("search").GetAsync("http://search.invalid/");
        Assert.Equal("db-password-000000001", capture.Last!.Headers.GetValues("X-Api-Key").Single());

        var changed = TestUtil.NextChangeAsync(client);
        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-two-0002");
        await changed.WithDeadline("the rotation");
        var http = factory.CreateClient("openai");
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://model.invalid/v1");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer caller-supplied");
        await http.SendAsync(request);
        Assert.Equal("Bearer sk-openai-version-two-0002", capture.Last!.Headers.Authorization!.ToString());
    }

    [Fact]
    public async Task AddBrokerClient_GivesTheConfigurationsClientTheHostsLogging()
    {
        var logs = new CapturingLoggerProvider();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["OpenAI:ApiKey"] = "$<credentials.openai_key>" });
        builder.Configuration.AddBrokerCredentials(o =>
        {
            o.Endpoint = _broker.Endpoint;
            o.ApiKey = _broker.AgentKey;
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(300);
            o.LongPollWait = TimeSpan.FromSeconds(20);
        });
        builder.Services.AddBrokerClient(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<BrokerClient>();
        Assert.Same(builder.Configuration.Sources.OfType<BrokerConfigurationSource>().Single().Client, client);

        var changed = TestUtil.NextChangeAsync(client);
        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-two-0002");
        await changed.WithDeadline("the rotation");

        await TestUtil.WaitUntilAsync(() => logs.Messages.Any(m => m.Category == "Broker.Client.BrokerClient" && m.Text.Contains("changed", StringComparison.Ordinal)), "the client's log line in the host's logging");
        Assert.DoesNotContain(logs.Messages, m => m.Text.Contains("sk-openai", StringComparison.Ordinal) || m.Text.Contains(_broker.AgentKey, StringComparison.Ordinal));
        await host.StopAsync();
    }

    public sealed class OpenAiOptions
    {
        public string? ApiKey { get; set; }
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public System.Collections.Concurrent.ConcurrentQueue<(string Category, string Text)> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => owner.Messages.Enqueue((category, formatter(state, exception)));
        }
    }

    private sealed class CapturingHandler : HttpMessageHandler
    {
        public HttpRequestMessage? Last { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Last = request;
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK));
        }
    }

    public sealed class Real : ConfigurationTests
    {
        protected override async Task<ITestBroker> StartBrokerAsync() => await RealBroker.StartNewAsync();
    }

    public sealed class Fake : ConfigurationTests
    {
        protected override async Task<ITestBroker> StartBrokerAsync() => await FakeBroker.StartNewAsync();
    }
}
