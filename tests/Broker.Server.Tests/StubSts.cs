using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Server.Tests;

/// <summary>
/// A local stand-in for STS AssumeRole on a loopback port: answers every request with fixed session credentials
/// (it does not check signatures; tests/Broker.Minting.Tests covers the STS call itself).
/// </summary>
public sealed class StubSts : IAsyncDisposable
{
    public const string SessionAccessKeyId = "ASIASTUBSESSION00001";
    public const string SessionSecret = "stubSessionSecret/abcdefghijklmnopqrstuvw";
    public const string SessionToken = "FwoGZXIvYXdzEStubSessionToken//////////wEaDSTUB";
    public const string AssumedRoleArn = "arn:aws:sts::123456789012:assumed-role/deployer/agent-session";

    private readonly WebApplication _app;

    private StubSts(WebApplication app) => _app = app;

    private int _failures;

    /// <summary>How many of the next AssumeRole calls are refused (403 AccessDenied) instead of answered.</summary>
    public void RefuseNext(int count) => Volatile.Write(ref _failures, count);

    public string ServiceUrl => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<StubSts> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var expiration = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var stub = new StubSts(app);
        app.MapPost("/", () => Interlocked.Decrement(ref stub._failures) >= 0 ? Results.Text(
            """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>stub refusal</Message></Error>
              <RequestId>00000000-0000-0000-0000-000000000001</RequestId>
            </ErrorResponse>
            """, "text/xml", statusCode: 403) : Results.Text(
            $"""
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleResult>
                <AssumedRoleUser><Arn>{AssumedRoleArn}</Arn><AssumedRoleId>AROASTUB:agent-session</AssumedRoleId></AssumedRoleUser>
                <Credentials>
                  <SessionToken>{SessionToken}</SessionToken>
                  <SecretAccessKey>{SessionSecret}</SecretAccessKey>
                  <Expiration>{expiration}</Expiration>
                  <AccessKeyId>{SessionAccessKeyId}</AccessKeyId>
                </Credentials>
              </AssumeRoleResult>
              <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
            </AssumeRoleResponse>
            """, "text/xml"));
        await app.StartAsync();
        return stub;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
