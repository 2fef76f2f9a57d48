using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Server.Tests;

/// <summary>
/// Hostile bytes an HTTP client library will not send, written raw to the broker on real Kestrel: a NUL in the path,
/// odd bytes in headers, over-long request lines and headers, chunked and truncated bodies. Never a 5xx; a body the
/// app writes is problem+json. (Kestrel answers some of these itself, before the app runs, with an empty 4xx; an
/// unknown HTTP version gets Kestrel's 505, which is the right answer and not sent here.)
/// </summary>
public sealed class WireLevelHostileInputTests : IDisposable
{
    private readonly BrokerApp _app;
    private readonly Uri _address;

    public WireLevelHostileInputTests()
    {
        _app = new BrokerApp(settings: new() { ["urls"] = "http://127.0.0.1:0" });
        _app.UseKestrel();
        _app.StartServer();
        _address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public void Dispose() => _app.Dispose();

    public static TheoryData<string, byte[]> Requests => new()
    {
        { "NUL in the path", Get("/v1/credentials/%00", Auth(BrokerApp.AdminKey)) },
        { "NUL in the path, no key", Get("/v1/credentials/%00") },
        { "raw NUL in the path", [.. "GET /v1/credentials/a"u8.ToArray(), 0x00, .. Ascii(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")] },
        { "raw non-ASCII in the path", [.. "GET /v1/credentials/"u8.ToArray(), 0xC3, 0xA9, 0xFF, .. Ascii(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")] },
        { "Authorization with bytes over 0x7F", Get("/v1/credentials", [.. "Authorization: Bearer brk_"u8.ToArray(), 0xFF, 0xFE, 0xC3, 0xA9, .. "\r\n"u8.ToArray()]) },
        { "Authorization with a control byte", Get("/v1/credentials", [.. "Authorization: Bearer brk_a"u8.ToArray(), 0x01, .. "b\r\n"u8.ToArray()]) },
        { "Authorization with a NUL", Get("/v1/credentials", [.. "Authorization: Bearer "u8.ToArray(), .. Ascii(BrokerApp.AdminKey), 0x00, .. "\r\n"u8.ToArray()]) },
        { "two Authorization headers", Get("/v1/credentials", [.. Auth(BrokerApp.AdminKey), .. Auth("brk_other-key-aaaaaaaaaaaaaaaaaaaaa")]) },
        { "fifty Authorization headers", Get("/v1/credentials", Enumerable.Repeat(Auth(BrokerApp.AdminKey), 50).SelectMany(b => b).ToArray()) },
        { "10 KB request line", Get("/v1/credentials/" + new string('a', 10_240), Auth(BrokerApp.AdminKey)) },
        { "40 KB Authorization", Get("/v1/credentials", Auth("brk_" + new string('a', 40_000))) },
        { "header name with a space", Get("/v1/credentials", Ascii("Bad Name: x\r\n")) },
        { "header without a colon", Get("/v1/credentials", Ascii("NoColon\r\n")) },
        { "obsolete line folding", Get("/v1/credentials", [.. Auth(BrokerApp.AdminKey), .. Ascii(" folded\r\n")]) },
        { "chunked invalid UTF-8", Chunked("/v1/keys/revoke-leaked", [.. "{\"key\":\""u8.ToArray(), 0xFF, .. "\"}"u8.ToArray()]) },
        { "chunked over 64 KiB", Chunked("/v1/keys/revoke-leaked", Encoding.UTF8.GetBytes("{\"key\":\"" + new string('a', 70_000) + "\"}")) },
        { "bad chunk size", [.. Ascii("POST /v1/keys/revoke-leaked HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"), .. Auth(BrokerApp.AdminKey), .. Ascii("\r\nzz\r\n{}\r\n0\r\n\r\n")] },
        { "Content-Length and chunked", [.. Ascii("POST /v1/keys/revoke-leaked HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n"), .. Auth(BrokerApp.AdminKey), .. Ascii("\r\n2\r\n{}\r\n0\r\n\r\n")] },
        { "negative Content-Length", [.. Ascii("POST /v1/keys/revoke-leaked HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: -1\r\n"), .. Auth(BrokerApp.AdminKey), .. Ascii("\r\n{}")] },
        { "Content-Type with bytes over 0x7F", [.. Ascii("POST /v1/keys/revoke-leaked HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\nContent-Type: application/json; charset="), 0xFF, .. Ascii("\r\n"), .. Auth(BrokerApp.AdminKey), .. Ascii("\r\n{}")] },
        { "query with raw bytes over 0x7F", [.. "GET /v1/audit?action="u8.ToArray(), 0xFF, 0xC0, .. Ascii(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"), .. Auth(BrokerApp.AdminKey), .. Ascii("\r\n")] },
        { "HTTP/0.9 style request", Ascii("GET /v1/credentials\r\n\r\n") },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task RawHostileRequest_Gets4xx_NeverA5xx_AndAnAppBodyIsProblemJson(string variant, byte[] request)
    {
        var (status, contentType, body) = await SendRawAsync(request);
        Assert.True(status is >= 400 and < 500, $"{variant}: {status} {body}");
        if (body.Length > 0)
        {
            Assert.True(contentType?.StartsWith("application/problem+json", StringComparison.Ordinal) == true, $"{variant}: {status} {contentType} {body}");
            Assert.DoesNotContain(BrokerApp.AdminKey, body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task QuotedUtf8Charset_OverKestrel_IsAccepted()
    {
        var body = "{\"value\":\"v\"}"u8.ToArray();
        var (status, _, text) = await SendRawAsync([.. Ascii($"PUT /v1/credentials/wire_charset HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json; charset=\"utf-8\"\r\nContent-Length: {body.Length}\r\n"),
            .. Auth(BrokerApp.AdminKey), .. Ascii("\r\n"), .. body]);
        Assert.True(status == 201, $"{status} {text}");
    }

    private async Task<(int Status, string? ContentType, string Body)> SendRawAsync(byte[] request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync(_address.Host, _address.Port, timeout.Token);
        var stream = client.GetStream();
        try
        {
            // No half-close after the request: Kestrel takes a FIN as the client going away and aborts the request.
            await stream.WriteAsync(request, timeout.Token);
        }
        catch (IOException)
        {
            // Kestrel may answer and close before it has read everything; the answer is still there to read.
        }

        var response = new MemoryStream();
        try
        {
            await stream.CopyToAsync(response, timeout.Token);
        }
        catch (IOException)
        {
            // A reset after the response (Kestrel closing a connection with unread input) ends the read.
        }

        var text = Encoding.UTF8.GetString(response.ToArray());
        Assert.True(text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal), $"no HTTP response: '{text}'");
        var status = int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = text[..split];
        var contentType = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?[13..].Trim();
        var body = text[(split + 4)..];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return (status, contentType, body);
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var at = 0;
        while (at < chunked.Length)
        {
            var end = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..end], 16);
            if (size == 0)
            {
                break;
            }

            result.Append(chunked, end + 2, size);
            at = end + 2 + size + 2;
        }

        return result.ToString();
    }

    private static byte[] Get(string path, byte[]? headers = null) =>
        [.. Ascii($"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"), .. headers ?? [], .. "\r\n"u8.ToArray()];

    private static byte[] Chunked(string path, byte[] body) =>
        [.. Ascii($"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"), .. Auth(BrokerApp.AdminKey),
            .. Ascii($"\r\n{body.Length:x}\r\n"), .. body, .. Ascii("\r\n0\r\n\r\n")];

    private static byte[] Auth(string key) => Ascii($"Authorization: Bearer {key}\r\n");

    private static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);
}
