using System.Security.Cryptography;
using System.Text;

namespace AgentRuntime;

/// <summary>A stand-in for a model provider, hosted by the agent itself on loopback: it answers with a fingerprint of the key it was given.</summary>
public static class FakeModelApi
{
    public static IEndpointRouteBuilder MapFakeModelApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/fake-model/v1/chat/completions", (HttpContext context) =>
        {
            var authorization = context.Request.Headers.Authorization.ToString();
            if (!authorization.StartsWith("Bearer sk-", StringComparison.Ordinal))
            {
                return Results.Unauthorized();
            }

            var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(authorization["Bearer ".Length..])))[..8];
            return Results.Ok(new { model = "fake-gpt", keyFingerprint = fingerprint, choices = new[] { new { message = new { role = "assistant", content = "Hello from the fake model." } } } });
        });
        return app;
    }
}
