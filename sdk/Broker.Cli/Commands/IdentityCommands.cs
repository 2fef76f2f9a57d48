using System.CommandLine;
using System.Text.Json;
using Broker.Client.Admin;

namespace Broker.Cli.Commands;

/// <summary>
/// <c>broker issuers list|add|delete</c> and <c>broker workload-profiles list|show|create|update|delete</c>: who may
/// prove a user, and which workload identities log in without a static secret (API.md v1.1, admin keys).
/// </summary>
internal static class IdentityCommands
{
    public static Command Issuers(CliHost host)
    {
        var list = new Command("list", "List the issuers this tenant trusts.");
        BrokerCli.Handle(list, host, async c =>
        {
            using var client = c.Client();
            var items = await client.ListIssuersAsync(c.CancellationToken).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { items });
                return ExitCodes.Ok;
            }

            c.Out.Table(
                ["NAME", "USE", "ISSUER", "KEYS", "AUDIENCES", "SUBJECT CLAIM", "CREATED"],
                items.Select(i => new object?[] { i.Name, i.Use, i.Issuer, i.JwksUri ?? "(inline)", i.Audiences, i.SubjectClaim, i.CreatedAt }));
            return ExitCodes.Ok;
        });

        var name = new Argument<string>("name") { Description = "The issuer's name in this tenant." };
        var issuer = new Option<string>("--issuer") { Description = "The iss its tokens carry.", Required = true };
        var use = new Option<string>("--use") { Description = "users (user assertions) or workloads (workload login).", Required = true };
        use.AcceptOnlyFromAmong("users", "workloads");
        var jwksUri = new Option<string?>("--jwks-uri") { Description = "Where its keys are fetched (https, or http on a loopback address)." };
        var jwksFile = new Option<FileInfo?>("--jwks-file") { Description = "A file holding its public keys (a JWKS), for an issuer the broker cannot reach." };
        var audiences = new Option<string[]>("--audience") { Description = "An aud value to accept (repeatable, at least one).", Required = true };
        var subjectClaim = new Option<string?>("--subject-claim") { Description = "The claim that names the user (default sub)." };
        var add = new Command("add", "Trust an issuer's JWTs. Give exactly one of --jwks-uri and --jwks-file.")
        {
            name, issuer, use, jwksUri, jwksFile, audiences, subjectClaim,
        };
        BrokerCli.Handle(add, host, async c =>
        {
            if ((c.Get(jwksUri) is null) == (c.Get(jwksFile) is null))
            {
                throw new CliException("Give exactly one of --jwks-uri and --jwks-file.");
            }

            var options = new CreateIssuerOptions
            {
                Name = c.Get(name)!, Issuer = c.Get(issuer)!, Use = c.Get(use)!, JwksUri = c.Get(jwksUri),
                Jwks = c.Get(jwksFile) is { } file ? await ReadJwksAsync(file, c.CancellationToken).ConfigureAwait(false) : null,
                SubjectClaim = c.Get(subjectClaim),
            };
            foreach (var audience in c.Get(audiences) ?? [])
            {
                options.Audiences.Add(audience);
            }

            using var client = c.Client();
            var created = await client.CreateIssuerAsync(options, c.CancellationToken).ConfigureAwait(false);
            c.Out.Write(created, () => c.Out.Line($"Trusted issuer {created.Name} ({created.Issuer}) for {created.Use}."));
            return ExitCodes.Ok;
        });

        var deleteName = new Argument<string>("name") { Description = "The issuer's name." };
        var delete = new Command("delete", "Stop trusting an issuer; holds on every replica once this returns.") { deleteName };
        BrokerCli.Handle(delete, host, async c =>
        {
            using var client = c.Client();
            await client.DeleteIssuerAsync(c.Get(deleteName)!, c.CancellationToken).ConfigureAwait(false);
            c.Out.Write(new { deleted = c.Get(deleteName) }, () => c.Out.Line($"Deleted issuer {c.Get(deleteName)}."));
            return ExitCodes.Ok;
        });

        return new Command("issuers", "Issuers whose JWTs prove users or log workloads in (v1.1 brokers, admin).") { list, add, delete };
    }

    public static Command WorkloadProfiles(CliHost host)
    {
        var list = new Command("list", "List this tenant's workload profiles.");
        BrokerCli.Handle(list, host, async c =>
        {
            using var client = c.Client();
            var items = await client.ListWorkloadProfilesAsync(c.CancellationToken).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { items });
                return ExitCodes.Ok;
            }

            c.Out.Table(
                ["NAME", "ISSUER", "SUBJECT", "CLAIMS", "CREDENTIALS", "GRANTS", "TTL", "CREATED"],
                items.Select(p => new object?[] { p.Name, p.Issuer, p.Subject, KeyValues.Format(p.Claims), p.Key.Credentials, GrantOptions.Summary(p.Key), p.TtlSeconds + "s", p.CreatedAt }));
            return ExitCodes.Ok;
        });

        var showName = new Argument<string>("name") { Description = "The profile's name." };
        var show = new Command("show", "Describe one workload profile.") { showName };
        BrokerCli.Handle(show, host, async c =>
        {
            using var client = c.Client();
            Write(c, await client.GetWorkloadProfileAsync(c.Get(showName)!, c.CancellationToken).ConfigureAwait(false));
            return ExitCodes.Ok;
        });

        var deleteName = new Argument<string>("name") { Description = "The profile's name." };
        var delete = new Command("delete", "Remove a workload profile: every access token it issued stops, on every replica, once this returns.") { deleteName };
        BrokerCli.Handle(delete, host, async c =>
        {
            using var client = c.Client();
            await client.DeleteWorkloadProfileAsync(c.Get(deleteName)!, c.CancellationToken).ConfigureAwait(false);
            c.Out.Write(new { deleted = c.Get(deleteName) }, () => c.Out.Line($"Deleted workload profile {c.Get(deleteName)}; its access tokens no longer work."));
            return ExitCodes.Ok;
        });

        return new Command("workload-profiles", "Workload identities that log in as agent keys without a static secret (v1.1 brokers, admin).")
        {
            list, show, ProfileCommand(host, create: true), ProfileCommand(host, create: false), delete,
        };
    }

    // create: every field from the options; update: the current profile with the given options over it, sent whole.
    private static Command ProfileCommand(CliHost host, bool create)
    {
        var name = new Argument<string>("name") { Description = "The profile's name (the resource a workload logs in to)." };
        var issuer = new Option<string?>("--issuer") { Description = "The name of a trusted issuer with use workloads.", Required = create };
        var subject = new Option<string?>("--subject") { Description = "The pattern the token's subject must match, e.g. system:serviceaccount:ci:*.", Required = create };
        var claims = new Option<string[]>("--claim") { Description = "claim=pattern a claim must match; a/b names member b of object a (repeatable" + (create ? ")." : "; replaces all claims).") };
        var noClaims = new Option<bool>("--no-claims") { Description = "Match no claims besides the subject." };
        var ttl = new Option<int?>("--ttl") { Description = "The longest life of an access token in seconds, 60 to 3600 (default 900)." };
        var credentials = new Option<string[]>("--credential") { Description = "A credential pattern its tokens may read (repeatable" + (create ? ")." : "; replaces all).") };
        var verifyAs = new Option<string[]>("--verify-as") { Description = "Another agent name its tokens may verify inbound keys for (repeatable)." };
        var rate = new Option<int?>("--rate-limit") { Description = "Requests per minute for each token (default: no limit)." };
        var quota = new Option<int?>("--quota") { Description = "Requests per UTC day for each token (default: no limit)." };
        var grants = new GrantOptions();
        var command = create
            ? new Command("create", "Let a workload identity log in as an agent key with these fields.")
            : new Command("update", "Change a workload profile; what is not given stays. Every access token of the old fields stops, on every replica, once this returns; workloads log in again.");
        command.Arguments.Add(name);
        foreach (var option in new Option[] { issuer, subject, claims, noClaims, ttl, credentials, verifyAs, rate, quota })
        {
            command.Options.Add(option);
        }

        grants.AddTo(command);
        BrokerCli.Handle(command, host, async c =>
        {
            if (c.Get(noClaims) && c.Get(claims) is { Length: > 0 })
            {
                throw new CliException("--no-claims and --claim contradict each other.");
            }

            using var client = c.Client();
            var current = create ? null : await client.GetWorkloadProfileAsync(c.Get(name)!, c.CancellationToken).ConfigureAwait(false);
            var key = current?.Key ?? new BrokerWorkloadKey();
            key = key with
            {
                Credentials = Given(c.Get(credentials)) ?? key.Credentials,
                VerifyAs = Given(c.Get(verifyAs)) ?? key.VerifyAs,
                RateLimitPerMinute = c.Get(rate) ?? key.RateLimitPerMinute,
                QuotaPerDay = c.Get(quota) ?? key.QuotaPerDay,
                Tokens = grants.Tokens(c, key.Tokens) ?? key.Tokens,
                Sts = grants.Sts(c, key.Sts) ?? key.Sts,
                Subjects = grants.Subjects(c) ?? key.Subjects,
                Approval = grants.Approval(c, key.Approval) ?? key.Approval,
            };
            var options = new WorkloadProfileOptions
            {
                Name = c.Get(name)!,
                Issuer = c.Get(issuer) ?? current!.Issuer,
                Subject = c.Get(subject) ?? current!.Subject,
                TtlSeconds = c.Get(ttl) ?? current?.TtlSeconds,
                Key = key,
            };
            IReadOnlyDictionary<string, string> claimSet = c.Get(noClaims) ? new Dictionary<string, string>()
                : c.Get(claims) is { Length: > 0 } pairs ? KeyValues.Parse("--claim", "claim=pattern", pairs)
                : current?.Claims ?? new Dictionary<string, string>();
            foreach (var (claim, pattern) in claimSet)
            {
                options.Claims[claim] = pattern;
            }

            var profile = create
                ? await client.CreateWorkloadProfileAsync(options, c.CancellationToken).ConfigureAwait(false)
                : await client.ReplaceWorkloadProfileAsync(options, c.CancellationToken).ConfigureAwait(false);
            Write(c, profile);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<JsonElement> ReadJwksAsync(FileInfo file, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = file.OpenRead();
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            return document.RootElement.Clone();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new CliException($"--jwks-file: {file.FullName} is not a readable JSON file ({ex.GetType().Name}).");
        }
    }

    private static void Write(CommandContext c, BrokerWorkloadProfile profile) => c.Out.Write(profile, () => c.Out.Fields(
        ("name", profile.Name), ("issuer", profile.Issuer), ("subject", profile.Subject), ("claims", KeyValues.Format(profile.Claims)),
        ("credentials", profile.Key.Credentials), ("grants", GrantOptions.Summary(profile.Key)), ("rate limit", profile.Key.RateLimitPerMinute),
        ("quota", profile.Key.QuotaPerDay), ("ttl", profile.TtlSeconds + "s"), ("created", profile.CreatedAt)));

    private static string[]? Given(string[]? values) => values is { Length: > 0 } ? values : null;
}
