using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace Broker.Client.Tests;

/// <summary>
/// A stand-in for the AWS STS Query API that the real broker calls (<c>POST /</c>, form body
/// <c>Action=AssumeRole&amp;Version=2011-06-15…</c>, answer <c>AssumeRoleResponse</c> XML). It does not check
/// signatures (the minting tests do); each answer carries a new access key id <c>ASIAFAKE########</c> and an
/// expiration computed from <see cref="Clock"/>.
/// </summary>
public sealed class FakeSts : IAsyncDisposable
{
    private WebApplication _app = null!;
    private int _requests;

    public string ServiceUrl { get; private set; } = string.Empty;

    public int RequestCount => Volatile.Read(ref _requests);

    /// <summary>The form fields of the last AssumeRole call.</summary>
    public IReadOnlyDictionary<string, string>? LastRequest { get; private set; }

    public TimeProvider Clock { get; set; } = TimeProvider.System;

    public static async Task<FakeSts> StartAsync()
    {
        var sts = new FakeSts();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        sts._app = builder.Build();
        sts._app.MapPost("/", (Func<HttpContext, Task<IResult>>)sts.HandleAsync);
        await sts._app.StartAsync();
        sts.ServiceUrl = sts._app.Urls.First();
        return sts;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var form = QueryHelpers.ParseQuery(await reader.ReadToEndAsync()).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        if (form.GetValueOrDefault("Action") != "AssumeRole")
        {
            return Results.Text("<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation.</Message></Error></ErrorResponse>", "text/xml", Encoding.UTF8, 400);
        }

        LastRequest = form;
        var n = Interlocked.Increment(ref _requests);
        var duration = int.Parse(form.GetValueOrDefault("DurationSeconds", "3600"), CultureInfo.InvariantCulture);
        var expiration = Clock.GetUtcNow().AddSeconds(duration).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var session = form.GetValueOrDefault("RoleSessionName", "session");
        var xml = $"""
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleResult>
                <AssumedRoleUser>
                  <Arn>arn:aws:sts::123456789012:assumed-role/agent-role/{session}</Arn>
                  <AssumedRoleId>AROA3XFRBF535PLBIFPI4:{session}</AssumedRoleId>
                </AssumedRoleUser>
                <Credentials>
                  <SessionToken>FwoGZXIvYXdzEFAKESESSIONTOKEN{n:D8}wEaDFAKE</SessionToken>
                  <SecretAccessKey>sessionSecret/{n:D8}abcdefghijklmnopqrstuvwxyz</SecretAccessKey>
                  <Expiration>{expiration}</Expiration>
                  <AccessKeyId>ASIAFAKE{n:D8}</AccessKeyId>
                </Credentials>
              </AssumeRoleResult>
              <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-{n:D12}</RequestId></ResponseMetadata>
            </AssumeRoleResponse>
            """;
        return Results.Text(xml, "text/xml");
    }
}
