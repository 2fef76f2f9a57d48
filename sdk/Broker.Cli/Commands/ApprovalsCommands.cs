using System.CommandLine;
using Broker.Client.Admin;

namespace Broker.Cli.Commands;

/// <summary><c>broker approvals list|approve|deny</c>: requests waiting for a person (v1.1 brokers).</summary>
internal static class ApprovalsCommands
{
    public static Command Build(CliHost host)
    {
        var status = new Option<string?>("--status") { Description = "Only this status (default pending)." , DefaultValueFactory = _ => "pending" };
        status.AcceptOnlyFromAmong("pending", "approved", "denied", "expired", "all");
        var list = new Command("list", "List approvals.") { status };
        BrokerCli.Handle(list, host, async c =>
        {
            using var client = c.Client();
            var wanted = c.Get(status);
            var items = await client.ListApprovalsAsync(wanted == "all" ? null : wanted, c.CancellationToken).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { items });
                return ExitCodes.Ok;
            }

            c.Out.Table(
                ["ID", "STATUS", "KIND", "TARGET", "SCOPES", "ON BEHALF OF", "TASK", "REQUESTED BY", "EXPIRES"],
                items.Select(a => new object?[] { a.Id, a.Status, a.Kind, a.Target, a.Scopes, a.OnBehalfOf, a.Task, a.RequestedBy, a.ExpiresAt }));
            return ExitCodes.Ok;
        });

        var approveId = new Argument<string>("id") { Description = "The approval's id." };
        var reason = new Option<string?>("--reason") { Description = "Why." };
        var ttl = new Option<int?>("--ttl") { Description = "A shorter lifetime in seconds." };
        var scopes = new Option<string[]>("--scope") { Description = "Keep only these scopes (repeatable)." };
        var approve = new Command("approve", "Approve a pending request (may only narrow it).") { approveId, reason, ttl, scopes };
        BrokerCli.Handle(approve, host, async c =>
        {
            var options = new ApproveOptions { Reason = c.Get(reason), TtlSeconds = c.Get(ttl) };
            foreach (var scope in c.Get(scopes) ?? [])
            {
                options.Scopes.Add(scope);
            }

            using var client = c.Client();
            Write(c, await client.ApproveAsync(c.Get(approveId)!, options, c.CancellationToken).ConfigureAwait(false));
            return ExitCodes.Ok;
        });

        var denyId = new Argument<string>("id") { Description = "The approval's id." };
        var denyReason = new Option<string>("--reason") { Description = "Why.", Required = true };
        var deny = new Command("deny", "Deny a pending request.") { denyId, denyReason };
        BrokerCli.Handle(deny, host, async c =>
        {
            using var client = c.Client();
            Write(c, await client.DenyAsync(c.Get(denyId)!, c.Get(denyReason)!, c.CancellationToken).ConfigureAwait(false));
            return ExitCodes.Ok;
        });

        return new Command("approvals", "Requests waiting for a person's decision (v1.1 brokers).") { list, approve, deny };
    }

    private static void Write(CommandContext c, BrokerApproval approval)
    {
        if (c.Out.Json)
        {
            c.Out.WriteJson(approval);
            return;
        }

        c.Out.Line($"{approval.Id}: {approval.Status} by {approval.DecidedBy ?? "-"} at {Output.Format(approval.DecidedAt)}.");
    }
}
