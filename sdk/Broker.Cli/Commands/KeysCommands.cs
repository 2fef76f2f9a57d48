using System.CommandLine;
using Broker.Client.Admin;

namespace Broker.Cli.Commands;

/// <summary><c>broker keys …</c>: issue, list, show, update grants, rotate, revoke, and revoke a leaked key read from standard input.</summary>
internal static class KeysCommands
{
    public static Command Build(CliHost host) => new("keys", "Issue, list, rotate and revoke keys.")
    {
        Create(host), List(host), Show(host), Update(host), Rotate(host), Revoke(host), RevokeLeaked(host),
    };

    private static Command Create(CliHost host)
    {
        var name = new Option<string>("--name") { Description = "The key's name.", Required = true };
        var role = new Option<string>("--role") { Description = "admin, responder, agent or caller.", Required = true };
        role.AcceptOnlyFromAmong("admin", "responder", "agent", "caller", "approver");
        var tenant = new Option<string?>("--tenant") { Description = "Another tenant (needs the bootstrap admin key)." };
        var credentials = new Option<string[]>("--credential") { Description = "Agent key: a credential pattern it may read (repeatable; * matches anything)." };
        var agents = new Option<string[]>("--agent") { Description = "Caller key: an agent pattern it may call (repeatable)." };
        var verifyAs = new Option<string[]>("--verify-as") { Description = "Agent key: another agent name it may verify inbound keys for (repeatable)." };
        var rate = new Option<int?>("--rate-limit") { Description = "Requests per minute (default: no limit)." };
        var quota = new Option<int?>("--quota") { Description = "Requests per UTC day (default: no limit)." };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "When the key stops working (RFC 3339)." };
        var grants = new GrantOptions();
        var command = new Command("create", "Issue a key. Its secret is printed once, here, and never again.")
        {
            name, role, tenant, credentials, agents, verifyAs, rate, quota, expires,
        };
        grants.AddTo(command);
        BrokerCli.Handle(command, host, async c =>
        {
            var options = new CreateKeyOptions
            {
                Name = c.Get(name)!,
                Role = c.Get(role)!,
                Tenant = c.Get(tenant),
                RateLimitPerMinute = c.Get(rate),
                QuotaPerDay = c.Get(quota),
                ExpiresAt = c.Get(expires),
                Tokens = grants.Tokens(c),
                Sts = grants.Sts(c),
                Subjects = grants.Subjects(c),
                Approval = grants.Approval(c),
            };
            AddAll(options.Credentials, c.Get(credentials));
            AddAll(options.Agents, c.Get(agents));
            AddAll(options.VerifyAs, c.Get(verifyAs));
            using var client = c.Client();
            var issued = await client.CreateKeyAsync(options, c.CancellationToken).ConfigureAwait(false);
            WriteIssued(c, issued, "Created");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(CliHost host)
    {
        var status = new Option<string?>("--status") { Description = "Only keys with this status." };
        status.AcceptOnlyFromAmong("active", "revoked", "expired");
        var command = new Command("list", "List the tenant's keys: prefix, status, last use (never a secret).") { status };
        BrokerCli.Handle(command, host, async c =>
        {
            using var client = c.Client();
            var keys = await client.ListKeysAsync(c.CancellationToken).ConfigureAwait(false);
            var wanted = c.Get(status);
            var shown = keys.Where(k => wanted is null || k.Status == wanted).ToList();
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { items = shown });
                return ExitCodes.Ok;
            }

            c.Out.Table(
                ["ID", "NAME", "ROLE", "PREFIX", "STATUS", "LAST USED", "CREATED", "CREDENTIALS", "GRANTS"],
                shown.Select(k => new object?[] { k.Id, k.Name, k.Role, k.Prefix, k.Status, k.LastUsedAt, k.CreatedAt, k.Credentials, GrantOptions.Summary(k) }));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(CliHost host)
    {
        var id = new Argument<string>("id") { Description = "The key's id." };
        var command = new Command("show", "Describe one key: role, grants, limits, status, last use.") { id };
        BrokerCli.Handle(command, host, async c =>
        {
            using var client = c.Client();
            WriteKey(c, await client.GetKeyAsync(c.Get(id)!, c.CancellationToken).ConfigureAwait(false));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Update(CliHost host)
    {
        var id = new Argument<string>("id") { Description = "The key's id." };
        var credentials = new Option<string[]>("--credentials", "--credential") { Description = "Agent key: the credential patterns it may read, replacing its own (repeatable)." };
        var noCredentials = new Option<bool>("--no-credentials") { Description = "Agent key: take every credential pattern away." };
        var noTokens = new Option<bool>("--no-tokens") { Description = "Agent key: take the token grant away (it mints no tokens)." };
        var agents = new Option<string[]>("--agent") { Description = "Caller key: the agent patterns it may call, replacing its own (repeatable)." };
        var verifyAs = new Option<string[]>("--verify-as") { Description = "Agent key: the other agent names it may verify for, replacing its own (repeatable)." };
        var rate = new Option<int?>("--rate-limit") { Description = "Requests per minute." };
        var quota = new Option<int?>("--quota") { Description = "Requests per UTC day." };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "When the key stops working (RFC 3339)." };
        var grants = new GrantOptions();
        var command = new Command(
            "update",
            "Change what a key may do; what is not given stays. A token, STS or approval option changes that part of the grant only. A narrowing holds on every replica once this returns.")
        {
            id, credentials, noCredentials, noTokens, agents, verifyAs, rate, quota, expires,
        };
        grants.AddTo(command);
        BrokerCli.Handle(command, host, async c =>
        {
            if (c.Get(noCredentials) && c.Get(credentials) is { Length: > 0 })
            {
                throw new CliException("--no-credentials and --credentials contradict each other.");
            }

            if (c.Get(noTokens) && grants.Tokens(c) is not null)
            {
                throw new CliException("--no-tokens and the --token-* options contradict each other.");
            }

            var options = new UpdateKeyOptions
            {
                Credentials = c.Get(noCredentials) ? [] : Given(c.Get(credentials)),
                Agents = Given(c.Get(agents)),
                VerifyAs = Given(c.Get(verifyAs)),
                Subjects = grants.Subjects(c),
                RateLimitPerMinute = c.Get(rate),
                QuotaPerDay = c.Get(quota),
                ExpiresAt = c.Get(expires),
            };
            using var client = c.Client();

            // A partial grant option (say --token-max-ttl alone) keeps the rest of that grant: the broker replaces a grant whole.
            var current = grants.AnyGrantGiven(c) ? await client.GetKeyAsync(c.Get(id)!, c.CancellationToken).ConfigureAwait(false) : null;
            options.Tokens = c.Get(noTokens) ? new BrokerTokenGrant([]) : grants.Tokens(c, current?.Tokens);
            options.Sts = grants.Sts(c, current?.Sts);
            options.Approval = grants.Approval(c, current?.Approval);
            if (options is { Credentials: null, Agents: null, VerifyAs: null, Subjects: null, RateLimitPerMinute: null, QuotaPerDay: null, ExpiresAt: null, Tokens: null, Sts: null, Approval: null })
            {
                throw new CliException("Nothing to change: give at least one option.");
            }

            WriteKey(c, await client.UpdateKeyAsync(c.Get(id)!, options, c.CancellationToken).ConfigureAwait(false));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Rotate(CliHost host)
    {
        var id = new Argument<string>("id") { Description = "The key's id." };
        var grace = new Option<int?>("--grace") { Description = "Seconds the old secret keeps working (default 0)." };
        var command = new Command("rotate", "Issue a new secret for a key; the new secret is printed once.") { id, grace };
        BrokerCli.Handle(command, host, async c =>
        {
            using var client = c.Client();
            var seconds = c.Get(grace);
            var issued = await client.RotateKeyAsync(c.Get(id)!, seconds is int s ? TimeSpan.FromSeconds(s) : null, c.CancellationToken).ConfigureAwait(false);
            WriteIssued(c, issued, "Rotated");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Revoke(CliHost host)
    {
        var id = new Argument<string>("id") { Description = "The key's id." };
        var command = new Command("revoke", "Revoke a key: once this returns, no request with it succeeds.") { id };
        BrokerCli.Handle(command, host, async c =>
        {
            using var client = c.Client();
            var revoked = await client.RevokeKeyAsync(c.Get(id)!, c.CancellationToken).ConfigureAwait(false);
            c.Out.Write(revoked, () => c.Out.Line($"Revoked {revoked.Id} at {Output.Format(revoked.RevokedAt)}."));

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command RevokeLeaked(CliHost host)
    {
        var command = new Command(
            "revoke-leaked",
            "Paste a leaked key on standard input: the broker finds the key it belongs to, revokes it, and shows where it was used. The key is never an argument.");
        BrokerCli.Handle(command, host, async c =>
        {
            var leaked = await SecretInput.ReadKeyAsync(c.Host, "Leaked key", c.CancellationToken).ConfigureAwait(false);
            using var client = c.Client();
            var report = await client.RevokeLeakedKeyAsync(leaked, c.CancellationToken).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(report);
                return ExitCodes.Ok;
            }

            c.Out.Line($"The leaked value is key {report.Id} \"{report.Name}\" (role {report.Role}).");
            c.Out.Line($"It is {report.Status.ToUpperInvariant()} since {Output.Format(report.RevokedAt)}; no request with it succeeds any more.");
            c.Out.Line($"Last used: {Output.Format(report.LastUsedAt)}.");
            c.Out.Line();
            if (report.RecentUse.Count == 0)
            {
                c.Out.Line("No recorded use.");
                return ExitCodes.Ok;
            }

            c.Out.Line($"Recent use ({report.RecentUse.Count}, newest first):");
            AuditCommands.WriteRecords(c.Out, report.RecentUse);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteKey(CommandContext c, BrokerKey key)
    {
        if (c.Out.Json)
        {
            c.Out.WriteJson(key);
            return;
        }

        c.Out.Fields(
            ("id", key.Id), ("name", key.Name), ("role", key.Role), ("tenant", key.Tenant), ("prefix", key.Prefix), ("status", key.Status),
            ("created", key.CreatedAt), ("expires", key.ExpiresAt), ("last used", key.LastUsedAt), ("revoked", key.RevokedAt),
            ("credentials", key.Credentials), ("agents", key.Agents), ("verify as", key.VerifyAs),
            ("tokens", GrantOptions.Describe(key.Tokens)), ("sts", GrantOptions.Describe(key.Sts)), ("subjects", key.Subjects),
            ("approval", GrantOptions.Describe(key.Approval)),
            ("rate limit/min", key.RateLimitPerMinute), ("quota/day", key.QuotaPerDay));
    }

    private static void WriteIssued(CommandContext c, BrokerIssuedKey issued, string verb)
    {
        if (c.Out.Json)
        {
            c.Out.WriteJson(issued);
            return;
        }

        c.Out.Fields(("id", issued.Id), ("name", issued.Name), ("role", issued.Role), ("tenant", issued.Tenant), ("prefix", issued.Prefix), ("expires", issued.ExpiresAt));
        c.Out.Line();
        c.Out.Line($"{verb}. The key (shown once; store it now, it cannot be shown again):");
        c.Out.Line(issued.Key);
    }

    private static string[]? Given(string[]? values) => values is { Length: > 0 } ? values : null;

    private static void AddAll(IList<string> target, string[]? values)
    {
        foreach (var value in values ?? [])
        {
            target.Add(value);
        }
    }
}
