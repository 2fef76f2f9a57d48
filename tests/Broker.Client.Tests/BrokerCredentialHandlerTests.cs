using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Client.Tests;

/// <summary>
/// <see cref="BrokerCredentialHandler"/> against two real Kestrel hosts: the credential reaches only the hosts it was
/// configured for, on the first request and after redirects, whatever the header and the primary handler.
/// </summary>
public sealed class BrokerCredentialHandlerTests : IAsyncLifetime
{
    private const string Value = "sk-openai-version-one-0001";

    private FakeBroker _broker = null!;
    private BrokerClient _client = null!;
    private RecordingHost _a = null!;
    private RecordingHost _b = null!;

    public async Task InitializeAsync()
    {
        _broker = await FakeBroker.StartNewAsync();
        await _broker.SetCredentialAsync("openai_key", Value);
        _client = new BrokerClient(_broker.Endpoint, _broker.AgentKey, TestUtil.FastOptions());
        await _client.StartAsync();
        _a = await RecordingHost.StartAsync();
        _b = await RecordingHost.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _client.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Theory]
    [InlineData("Authorization", "Bearer {0}", false)]
    [InlineData("Authorization", "Bearer {0}", true)]
    [InlineData("X-Api-Key", "{0}", false)]
    [InlineData("X-Api-Key", "{0}", true)]
    public async Task Redirect_ToAnotherHost_ArrivesWithoutTheCredential(string header, string format, bool otherHostName)
    {
        await using var services = Services(s => s.AddHttpClient("model", c => c.BaseAddress = _a.ByAddress).AddBrokerCredential("openai_key", header, format));
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("model");
        var target = new Uri(otherHostName ? _b.ByName : _b.ByAddress, "landing");

        using var response = await http.GetAsync(_a.RedirectTo(target));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(Assert.Single(_a.Requests).Carries(Value), "the configured host gets the credential");
        var landed = Assert.Single(_b.Requests);
        Assert.Equal("/landing", landed.PathAndQuery);
        Assert.False(landed.Carries(Value), "the other host must not get the credential");
        Assert.False(landed.Headers.ContainsKey(header));
    }

    [Theory]
    [InlineData(307, "POST", "payload")]
    [InlineData(308, "POST", "payload")]
    [InlineData(303, "GET", "")]
    [InlineData(302, "GET", "")]
    [InlineData(301, "GET", "")]
    public async Task PostRedirect_ToAnotherHost_FollowsDotNetRules_WithoutTheCredential(int status, string method, string body)
    {
        await using var services = Services(s => s.AddHttpClient("model", c => c.BaseAddress = _a.ByAddress).AddBrokerCredential("openai_key", "X-Api-Key", "{0}"));
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("model");

        using var response = await http.PostAsync(_a.RedirectTo(new Uri(_b.ByName, "landing"), status), new StringContent("payload"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(Assert.Single(_a.Requests).Carries(Value));
        var landed = Assert.Single(_b.Requests);
        Assert.Equal(method, landed.Method);
        Assert.Equal(body, landed.Body);
        Assert.False(landed.Carries(Value));
    }

    [Fact]
    public async Task Redirect_WithinTheAllowedHost_KeepsTheCredential()
    {
        await using var services = Services(s => s.AddHttpClient("model", c => c.BaseAddress = _a.ByAddress).AddBrokerCredential("openai_key"));
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("model");

        using var response = await http.GetAsync(_a.RedirectTo(new Uri(_a.ByAddress, "v2/models")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, _a.Requests.Count);
        Assert.All(_a.Requests, r => Assert.Equal("Bearer " + Value, r.Headers["Authorization"]));
        Assert.Empty(_b.Requests);
    }

    [Fact]
    public async Task Request_ToAHostThatIsNotAllowed_GoesWithoutTheCredential()
    {
        await using var services = Services(s => s.AddHttpClient("model", c => c.BaseAddress = _a.ByAddress).AddBrokerCredential("openai_key", "X-Api-Key", "{0}"));
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("model");

        using var response = await http.GetAsync(new Uri(_b.ByAddress, "fetched-by-the-agent"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(Assert.Single(_b.Requests).Carries(Value));
    }

    [Fact]
    public async Task NoBaseAddressAndNoAllowedHosts_RefusesToSend()
    {
        await using var services = Services(s => s.AddHttpClient("model").AddBrokerCredential("openai_key", "X-Api-Key", "{0}"));
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("model");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => http.GetAsync(new Uri(_a.ByAddress, "x")));

        Assert.Contains("AllowedHosts", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Value, ex.ToString(), StringComparison.Ordinal);
        Assert.Empty(_a.Requests);
    }

    [Fact]
    public async Task AllowedHosts_AreExactHostAndPort()
    {
        await using var services = Services(s => s.AddHttpClient("model").AddBrokerCredential("openai_key", o =>
        {
            o.HeaderName = "X-Api-Key";
            o.Format = "{0}";
            o.AllowedHosts.Add(_a.ByAddress.GetLeftPart(UriPartial.Authority));
            o.AllowedHosts.Add($"LOCALHOST:{_b.Port}");
        }));
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("model");

        (await http.GetAsync(_a.RedirectTo(new Uri(_b.ByName, "by-name")))).Dispose();
        (await http.GetAsync(_a.RedirectTo(new Uri(_b.ByAddress, "by-address")))).Dispose();

        Assert.All(_a.Requests, r => Assert.True(r.Carries(Value)));
        var landed = _b.Requests.ToDictionary(r => r.PathAndQuery);
        Assert.True(landed["/by-name"].Carries(Value), "localhost:port is allowed");
        Assert.False(landed["/by-address"].Carries(Value), "127.0.0.1 is allowed on the first host's port only");
    }

    [Fact]
    public async Task AllowedHost_WithoutAPort_MeansTheDefaultPort()
    {
        await using var services = Services(s => s.AddHttpClient("model").AddBrokerCredential("openai_key", o => o.AllowedHosts.Add("127.0.0.1")));
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("model");

        (await http.GetAsync(new Uri(_a.ByAddress, "x"))).Dispose();

        Assert.False(Assert.Single(_a.Requests).Carries(Value));
    }

    [Fact]
    public async Task SocketsHttpHandlerPrimary_RedirectToAnotherHost_ArrivesWithoutTheCredential_AndTheRedirectLimitHolds()
    {
        await using var services = Services(s => s.AddHttpClient("model", c => c.BaseAddress = _a.ByAddress)
            .AddBrokerCredential("openai_key", "X-Api-Key", "{0}")
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { MaxAutomaticRedirections = 3 }));
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("model");

        using (var response = await http.GetAsync(_a.RedirectTo(new Uri(_b.ByName, "landing"))))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.False(Assert.Single(_b.Requests).Carries(Value));
        while (_a.Requests.TryDequeue(out _))
        {
        }

        using var loop = await http.GetAsync(new Uri(_a.ByAddress, "loop"));
        Assert.Equal(HttpStatusCode.Found, loop.StatusCode);
        Assert.Equal(4, _a.Requests.Count);
    }

    [Fact]
    public async Task PrimaryWithRedirectsOff_StillDoesNotFollow()
    {
        await using var services = Services(s => s.AddHttpClient("model", c => c.BaseAddress = _a.ByAddress)
            .AddBrokerCredential("openai_key", "X-Api-Key", "{0}")
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false }));
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("model");

        using var response = await http.GetAsync(_a.RedirectTo(new Uri(_b.ByName, "landing")));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Empty(_b.Requests);
    }

    [Fact]
    public async Task PrimaryAlreadyInUse_ThatFollowsRedirects_FailsClosed()
    {
        using var primary = new SocketsHttpHandler();
        using (var warm = new HttpClient(primary, disposeHandler: false))
        {
            (await warm.GetAsync(new Uri(_a.ByAddress, "warm"))).Dispose();
        }

        var options = new BrokerCredentialHandlerOptions { HeaderName = "X-Api-Key", Format = "{0}" };
        options.AllowedHosts.Add(_a.ByAddress.Authority);
        using var http = new HttpClient(new BrokerCredentialHandler(_client, "openai_key", options) { InnerHandler = primary }, disposeHandler: false);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => http.GetAsync(_a.RedirectTo(new Uri(_b.ByName, "landing"))));
        Assert.Contains("AllowAutoRedirect", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_b.Requests);
        Assert.DoesNotContain(_a.Requests, r => r.Carries(Value));
    }

    [Theory]
    [InlineData("https://api.example.com/v1")]
    [InlineData("user@api.example.com")]
    [InlineData("api.example.com/path")]
    [InlineData("ftp://api.example.com")]
    [InlineData(" ")]
    public void AllowedHosts_ThatAreNotHosts_AreRejected(string entry)
    {
        var options = new BrokerCredentialHandlerOptions();
        options.AllowedHosts.Add(entry);
        Assert.Throws<ArgumentException>(() => new BrokerCredentialHandler(_client, "openai_key", options));
    }

    [Theory]
    [InlineData("api.example.com")]
    [InlineData("api.example.com:8443")]
    [InlineData("https://api.example.com")]
    [InlineData("http://127.0.0.1:5000")]
    [InlineData("[::1]:5000")]
    public void AllowedHosts_HostsAndOrigins_AreAccepted(string entry)
    {
        var options = new BrokerCredentialHandlerOptions();
        options.AllowedHosts.Add(entry);
        using var handler = new BrokerCredentialHandler(_client, "openai_key", options);
    }

    private ServiceProvider Services(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton(_client);
        configure(services);
        return services.BuildServiceProvider();
    }
}
