using System.CommandLine;
using System.Text;
using System.Text.Json;
using Broker.Client;

namespace Broker.Cli.Commands;

/// <summary>
/// <c>broker tokens mint</c> and <c>broker sts mint</c>: one mint with the configured agent key, to test what its grant
/// allows. What was minted is described; the token or secret itself is printed only when asked for.
/// </summary>
internal static class MintCommands
{
    public static Command Tokens(CliHost host)
    {
        var audience = new Option<string>("--audience") { Description = "The token's audience.", Required = true };
        var task = new Option<string>("--task") { Description = "The task it is for.", Required = true };
        var scopes = new Option<string[]>("--scope") { Description = "A scope (repeatable)." };
        var ttl = new Option<int?>("--ttl") { Description = "Lifetime in seconds (5..3600; default the broker's, 60)." };
        var onBehalfOf = new Option<string?>("--on-behalf-of") { Description = "The user the agent acts for." };
        var show = new Option<bool>("--show-token") { Description = "Also print the token itself (a bearer credential)." };
        var mint = new Command("mint", "Mint a token with the agent key in the profile, to test its grant. Prints its claims; the token only with --show-token.")
        {
            audience, task, scopes, ttl, onBehalfOf, show,
        };
        BrokerCli.Handle(mint, host, async c =>
        {
            var request = new TokenRequest { Audience = c.Get(audience)!, Task = c.Get(task)!, OnBehalfOf = c.Get(onBehalfOf) };
            foreach (var scope in c.Get(scopes) ?? [])
            {
                request.Scopes.Add(scope);
            }

            if (c.Get(ttl) is int seconds)
            {
                request.Ttl = TimeSpan.FromSeconds(seconds);
            }

            using var client = c.Client();
            var token = await client.MintTokenAsync(request, c.CancellationToken).ConfigureAwait(false);
            var claims = Claims(token.Token);
            var shown = c.Get(show) ? token.Token : null;
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { jti = token.Jti, tokenType = token.TokenType, expiresAt = token.ExpiresAt, claims, token = shown });
                return ExitCodes.Ok;
            }

            c.Out.Fields(("jti", token.Jti), ("expires", token.ExpiresAt));
            c.Out.Line("claims:");
            c.Out.Line(JsonSerializer.Serialize(claims, Output.JsonOptions));
            if (shown is not null)
            {
                c.Out.Line("token:");
                c.Out.Line(shown);
            }

            return ExitCodes.Ok;
        });
        return new Command("tokens", "Just-in-time tokens.") { mint };
    }

    public static Command Sts(CliHost host)
    {
        var credential = new Option<string>("--credential") { Description = "The aws credential to mint from.", Required = true };
        var task = new Option<string>("--task") { Description = "The task it is for.", Required = true };
        var role = new Option<string?>("--role-arn") { Description = "The role to assume (default the credential's)." };
        var duration = new Option<int?>("--duration") { Description = "Seconds (900..43200; default 900)." };
        var policyFile = new Option<string?>("--policy-file") { Description = "A JSON session policy document." };
        var onBehalfOf = new Option<string?>("--on-behalf-of") { Description = "The user the agent acts for." };
        var show = new Option<bool>("--show-secret") { Description = "Also print the secret access key and session token." };
        var mint = new Command("mint", "Get AWS session credentials with the agent key in the profile, to test its grant. Secrets only with --show-secret.")
        {
            credential, task, role, duration, policyFile, onBehalfOf, show,
        };
        BrokerCli.Handle(mint, host, async c =>
        {
            var request = new AwsCredentialsRequest { Credential = c.Get(credential)!, Task = c.Get(task)!, RoleArn = c.Get(role), OnBehalfOf = c.Get(onBehalfOf) };
            if (c.Get(duration) is int seconds)
            {
                request.Duration = TimeSpan.FromSeconds(seconds);
            }

            if (c.Get(policyFile) is { } file)
            {
                request.Policy = await File.ReadAllTextAsync(file, c.CancellationToken).ConfigureAwait(false);
            }

            using var client = c.Client();
            AwsSessionCredentials session;
            try
            {
                session = await client.GetAwsCredentialsAsync(request, c.CancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ex.Message);
            }

            var secret = c.Get(show);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new
                {
                    accessKeyId = session.AccessKeyId,
                    expiration = session.Expiration,
                    assumedRoleArn = session.AssumedRoleArn,
                    secretAccessKey = secret ? session.SecretAccessKey : null,
                    sessionToken = secret ? session.SessionToken : null,
                });
                return ExitCodes.Ok;
            }

            c.Out.Fields(("access key id", session.AccessKeyId), ("assumed role", session.AssumedRoleArn), ("expires", session.Expiration));
            if (secret)
            {
                c.Out.Fields(("secret access key", session.SecretAccessKey), ("session token", session.SessionToken));
            }

            return ExitCodes.Ok;
        });
        return new Command("sts", "Just-in-time AWS credentials.") { mint };
    }

    /// <summary>The token's payload (its claims): what the grant allowed. Not the token: without the signature it authorizes nothing.</summary>
    private static JsonElement? Claims(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            return doc.RootElement.Clone();
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}
