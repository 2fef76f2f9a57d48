using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Broker.Minting.Tests;

/// <summary>
/// A local stand-in for the STS Query API: <c>POST /</c> with a form body (<c>Action=AssumeRole&amp;Version=2011-06-15…</c>),
/// answering <c>AssumeRoleResponse</c> XML. It checks the SigV4 signature itself, from the documented algorithm, with the
/// secret it knows for the access key id, and answers 403 <c>SignatureDoesNotMatch</c> (quoting the access key id,
/// as AWS error messages can) when it differs.
/// </summary>
internal sealed class FakeSts : IAsyncDisposable
{
    public const string AccessKeyId = "AKIAFAKEBASEKEY00001";
    public const string SecretAccessKey = "fakeBaseSecret/K7MDENG+bPxRfiCYEXAMPLEKEY";
    public const string SessionAccessKeyId = "ASIAFAKESESSION00001";
    public const string SessionSecret = "sessionSecret/abcdefghijklmnopqrstuvwxyz0123";
    public const string SessionToken = "FwoGZXIvYXdzEFAKESESSIONTOKEN//////////wEaDFAKE";

    private TestWebServer _server = null!;

    public string ServiceUrl => _server.BaseAddress;

    /// <summary>The form fields of every correctly signed request.</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> Requests { get; } = new();

    public int Rejected;

    public static async Task<FakeSts> StartAsync()
    {
        var sts = new FakeSts();
        sts._server = await TestWebServer.StartAsync(app => app.MapPost("/", (Func<HttpContext, Task<IResult>>)sts.HandleAsync));
        return sts;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();

        var verdict = Verify(context.Request, body);
        if (verdict is not null)
        {
            Interlocked.Increment(ref Rejected);
            return verdict;
        }

        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        if (form.GetValueOrDefault("Action") != "AssumeRole" || form.GetValueOrDefault("Version") != "2011-06-15")
        {
            return Error(400, "InvalidAction", "Could not find operation.");
        }

        Requests.Enqueue(form);
        var duration = int.Parse(form.GetValueOrDefault("DurationSeconds", "3600"), CultureInfo.InvariantCulture);
        var expiration = DateTime.UtcNow.AddSeconds(duration).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var roleName = form["RoleArn"][(form["RoleArn"].LastIndexOf('/') + 1)..];
        var xml = $"""
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleResult>
                <SourceIdentity>{form.GetValueOrDefault("SourceIdentity")}</SourceIdentity>
                <AssumedRoleUser>
                  <Arn>arn:aws:sts::123456789012:assumed-role/{roleName}/{form["RoleSessionName"]}</Arn>
                  <AssumedRoleId>AROA3XFRBF535PLBIFPI4:{form["RoleSessionName"]}</AssumedRoleId>
                </AssumedRoleUser>
                <Credentials>
                  <SessionToken>{SessionToken}</SessionToken>
                  <SecretAccessKey>{SessionSecret}</SecretAccessKey>
                  <Expiration>{expiration}</Expiration>
                  <AccessKeyId>{SessionAccessKeyId}</AccessKeyId>
                </Credentials>
                <PackedPolicySize>6</PackedPolicySize>
              </AssumeRoleResult>
              <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
            </AssumeRoleResponse>
            """;
        return Results.Text(xml, "text/xml");
    }

    /// <summary>AWS Signature Version 4, recomputed from the documented algorithm; null when the signature is right.</summary>
    private static IResult? Verify(HttpRequest request, byte[] body)
    {
        var authorization = request.Headers.Authorization.ToString();
        const string Scheme = "AWS4-HMAC-SHA256 ";
        if (!authorization.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return Error(400, "MissingAuthenticationToken", "Request is missing Authentication Token");
        }

        var fields = authorization[Scheme.Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var scope = fields["Credential"].Split('/'); // AKID/date/region/service/aws4_request
        var accessKeyId = scope[0];
        if (accessKeyId != AccessKeyId)
        {
            return Error(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
        }

        if (scope.Length != 5 || scope[2] != "us-east-1" || scope[3] != "sts" || scope[4] != "aws4_request")
        {
            return Error(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region and service.");
        }

        var amzDate = request.Headers["x-amz-date"].ToString();
        var signedHeaders = fields["SignedHeaders"];
        var canonicalHeaders = new StringBuilder();
        foreach (var name in signedHeaders.Split(';'))
        {
            var value = name == "host" ? request.Host.Value : request.Headers[name].ToString();
            canonicalHeaders.Append(name).Append(':').Append(CollapseSpaces(value!.Trim())).Append('\n');
        }

        var payloadHash = request.Headers.TryGetValue("x-amz-content-sha256", out var declared) && declared.ToString() is { Length: 64 } d
            ? d
            : Hex(SHA256.HashData(body));
        if (payloadHash != Hex(SHA256.HashData(body)))
        {
            return Error(400, "XAmzContentSHA256Mismatch", "The provided x-amz-content-sha256 header does not match what was computed.");
        }

        var path = request.Path.HasValue && request.Path.Value != string.Empty ? request.Path.Value! : "/";
        var canonicalQuery = string.Join('&', request.Query
            .SelectMany(q => q.Value.Select(v => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(v ?? string.Empty)))
            .Order(StringComparer.Ordinal));
        var canonicalRequest = $"{request.Method}\n{path}\n{canonicalQuery}\n{canonicalHeaders}\n{signedHeaders}\n{payloadHash}";
        var credentialScope = string.Join('/', scope[1..]);
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{credentialScope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + SecretAccessKey), Encoding.UTF8.GetBytes(scope[1]));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(scope[2]));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(scope[3]));
        key = HMACSHA256.HashData(key, "aws4_request"u8.ToArray());
        var expected = Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(fields["Signature"]))
            ? null
            : Error(403, "SignatureDoesNotMatch",
                $"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Access key {accessKeyId}.");
    }

    private static IResult Error(int status, string code, string message) => Results.Text(
        $"""
        <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>
          <RequestId>4c9a1c5e-0000-0000-0000-000000000000</RequestId>
        </ErrorResponse>
        """, "text/xml", Encoding.UTF8, status);

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static string CollapseSpaces(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c != ' ' || builder.Length == 0 || builder[^1] != ' ')
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
