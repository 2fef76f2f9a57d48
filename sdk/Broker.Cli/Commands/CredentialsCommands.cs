using System.CommandLine;
using Broker.Client.Admin;

namespace Broker.Cli.Commands;

/// <summary><c>broker credentials …</c>: store (value from standard input or a file, never an argument), list, versions, delete, sync.</summary>
internal static class CredentialsCommands
{
    public static Command Build(CliHost host) => new("credentials", "Store and manage outbound credentials (values are never shown).")
    {
        Put(host), List(host), Versions(host), Delete(host), Sync(host),
    };

    private static Option<string?> SubjectOption() => new("--subject") { Description = "A per-user value: the user's id." };

    private static Argument<string> NameArgument() => new("name") { Description = "The credential's name." };

    private static Command Put(CliHost host)
    {
        var name = NameArgument();
        var subject = SubjectOption();
        var valueFile = new Option<string?>("--value-file") { Description = "Read the value from this file (default: standard input). Never pass a value as an argument." };
        var kind = new Option<string?>("--kind") { Description = "generic (default) or aws." };
        kind.AcceptOnlyFromAmong("generic", "aws");
        var labels = new Option<string[]>("--label") { Description = "A label key=value (repeatable)." };
        var ifMatch = new Option<int?>("--if-match") { Description = "Write only if the current version is this one." };
        var agentAccess = new Option<string?>("--agent-access") { Description = "read (agents may read the value; default for generic) or use (the broker uses it on their behalf, it never leaves; aws always)." };
        agentAccess.AcceptOnlyFromAmong("read", "use");
        var command = new Command("put", "Store a credential's value, read from standard input or --value-file.") { name, subject, valueFile, kind, labels, ifMatch, agentAccess };
        BrokerCli.Handle(command, host, async c =>
        {
            var options = new SetCredentialOptions
            {
                Value = "",
                Kind = c.Get(kind),
                Subject = c.Get(subject),
                IfMatchVersion = c.Get(ifMatch),
                AgentAccess = c.Get(agentAccess),
            };
            foreach (var (key, value) in KeyValues.Parse("--label", "key=value", c.Get(labels)))
            {
                options.Labels[key] = value;
            }

            // Read after the arguments are checked, so a mistake does not consume the piped value.
            options.Value = await SecretInput.ReadValueAsync(c.Host, c.Get(valueFile), "Value", c.CancellationToken).ConfigureAwait(false);
            using var client = c.Client();
            var result = await client.SetCredentialAsync(c.Get(name)!, options, c.CancellationToken).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { created = result.Created, credential = result.Credential });
            }
            else
            {
                var credential = result.Credential;
                var what = result.Created ? "Created" : "Stored";
                c.Out.Line($"{what} {credential.Name}{(credential.Subject is null ? "" : " for " + credential.Subject)}: version {credential.Version} ({credential.Kind}, agent access {Output.Format(credential.AgentAccess)}).");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(CliHost host)
    {
        var command = new Command("list", "List credentials (metadata only).");
        BrokerCli.Handle(command, host, async c =>
        {
            using var client = c.Client();
            var items = await client.ListCredentialsAsync(c.CancellationToken).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { items });
                return ExitCodes.Ok;
            }

            c.Out.Table(
                ["NAME", "SUBJECT", "KIND", "ACCESS", "VERSION", "UPDATED", "LABELS"],
                items.Select(i => new object?[] { i.Name, i.Subject, i.Kind, i.AgentAccess, i.Version, i.UpdatedAt, KeyValues.Format(i.Labels) }));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Versions(CliHost host)
    {
        var name = NameArgument();
        var subject = SubjectOption();
        var command = new Command("versions", "Describe a credential and list its versions (never a value).") { name, subject };
        BrokerCli.Handle(command, host, async c =>
        {
            using var client = c.Client();
            var details = await client.GetCredentialAsync(c.Get(name)!, c.Get(subject), c.CancellationToken).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(details);
                return ExitCodes.Ok;
            }

            c.Out.Fields(
                ("name", details.Name), ("subject", details.Subject), ("kind", details.Kind), ("agent access", details.AgentAccess), ("version", details.Version),
                ("created", details.CreatedAt), ("updated", details.UpdatedAt), ("labels", KeyValues.Format(details.Labels)));
            if (details.SyncStatus is not null)
            {
                c.Out.Fields(("sync", details.SyncStatus), ("last synced", details.LastSyncedAt), ("sync error", details.SyncError));
            }

            c.Out.Line();
            c.Out.Table(["VERSION", "CREATED"], details.Versions.Select(v => new object?[] { v.Version, v.CreatedAt }));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Delete(CliHost host)
    {
        var name = NameArgument();
        var subject = SubjectOption();
        var command = new Command("delete", "Delete a credential with every per-user value, or with --subject only that user's value.") { name, subject };
        BrokerCli.Handle(command, host, async c =>
        {
            using var client = c.Client();
            await client.DeleteCredentialAsync(c.Get(name)!, c.Get(subject), c.CancellationToken).ConfigureAwait(false);
            c.Out.Write(new { name = c.Get(name), subject = c.Get(subject), deleted = true }, () => c.Out.Line($"Deleted {c.Get(name)}{(c.Get(subject) is { } s ? " for " + s : "")}."));

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Sync(CliHost host)
    {
        var name = NameArgument();
        var command = new Command("sync", "Copy a Key Vault-backed credential now (v1.1 brokers).") { name };
        BrokerCli.Handle(command, host, async c =>
        {
            using var client = c.Client();
            var details = await client.SyncCredentialAsync(c.Get(name)!, c.CancellationToken).ConfigureAwait(false);
            c.Out.Write(details, () => c.Out.Line($"{details.Name}: version {details.Version}, sync {details.SyncStatus ?? "-"}{(details.SyncError is { } e ? " (" + e + ")" : "")}."));

            return ExitCodes.Ok;
        });
        return command;
    }
}
