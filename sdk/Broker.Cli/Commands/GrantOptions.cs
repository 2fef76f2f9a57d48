using System.CommandLine;
using Broker.Client.Admin;

namespace Broker.Cli.Commands;

/// <summary>
/// The options of an agent key's grants (API.md v1.1 "Grants"), shared by <c>keys create</c> and <c>keys update</c>,
/// and how grants are shown.
/// </summary>
internal sealed class GrantOptions
{
    private readonly Option<string[]> _tokenAudiences = new("--token-audience") { Description = "Agent key: an audience pattern it may mint tokens for (repeatable)." };
    private readonly Option<string[]> _tokenScopes = new("--token-scope") { Description = "Agent key: a scope pattern its tokens may carry (repeatable; none: no scopes)." };
    private readonly Option<int?> _tokenMaxTtl = new("--token-max-ttl") { Description = "Agent key: the longest token lifetime in seconds (default 3600)." };
    private readonly Option<string[]> _stsRoles = new("--sts-role") { Description = "Agent key: a role ARN pattern it may assume besides its credentials' own (repeatable)." };
    private readonly Option<int?> _stsMaxDuration = new("--sts-max-duration") { Description = "Agent key: the longest AWS session in seconds (default 3600)." };
    private readonly Option<string?> _subjects = new("--subjects") { Description = "Agent key: proven (default) or any, whether a user it acts for must be proven." };
    private readonly Option<string[]> _approvalScopes = new("--approval-scope") { Description = "Agent key: token scopes that wait for a human's approval (repeatable)." };
    private readonly Option<string[]> _approvalRoles = new("--approval-role") { Description = "Agent key: STS roles that wait for approval (repeatable)." };
    private readonly Option<string[]> _approvalCredentials = new("--approval-credential") { Description = "Agent key: credential reads that wait for approval (repeatable)." };

    public GrantOptions() => _subjects.AcceptOnlyFromAmong("proven", "any");

    public void AddTo(Command command)
    {
        Option[] all = [_tokenAudiences, _tokenScopes, _tokenMaxTtl, _stsRoles, _stsMaxDuration, _subjects, _approvalScopes, _approvalRoles, _approvalCredentials];
        foreach (var option in all)
        {
            command.Options.Add(option);
        }
    }

    public string? Subjects(CommandContext c) => c.Get(_subjects);

    /// <summary>The token grant the options ask for, each part not given taken from <paramref name="current"/>; null when no token option is given.</summary>
    public BrokerTokenGrant? Tokens(CommandContext c, BrokerTokenGrant? current = null)
    {
        var (audiences, scopes, ttl) = (Given(c, _tokenAudiences), Given(c, _tokenScopes), c.Get(_tokenMaxTtl));
        return audiences is null && scopes is null && ttl is null
            ? null
            : new BrokerTokenGrant(audiences ?? current?.Audiences ?? [], scopes ?? current?.Scopes, ttl ?? current?.MaxTtlSeconds);
    }

    /// <summary>The STS grant the options ask for, each part not given taken from <paramref name="current"/>; null when no STS option is given.</summary>
    public BrokerStsGrant? Sts(CommandContext c, BrokerStsGrant? current = null)
    {
        var (roles, duration) = (Given(c, _stsRoles), c.Get(_stsMaxDuration));
        return roles is null && duration is null ? null : new BrokerStsGrant(roles ?? current?.Roles, duration ?? current?.MaxDurationSeconds);
    }

    /// <summary>The approval grant the options ask for, each part not given taken from <paramref name="current"/>; null when no approval option is given.</summary>
    public BrokerApprovalGrant? Approval(CommandContext c, BrokerApprovalGrant? current = null)
    {
        var (scopes, roles, credentials) = (Given(c, _approvalScopes), Given(c, _approvalRoles), Given(c, _approvalCredentials));
        return scopes is null && roles is null && credentials is null
            ? null
            : new BrokerApprovalGrant(scopes ?? current?.Scopes, roles ?? current?.Roles, credentials ?? current?.Credentials);
    }

    /// <summary>Whether any option that needs the key's current grants to merge with was given.</summary>
    public bool AnyGrantGiven(CommandContext c) => Tokens(c) is not null || Sts(c) is not null || Approval(c) is not null;

    /// <summary>One line for a table: the grants an agent key has, <c>-</c> for none.</summary>
    public static string Summary(BrokerKey key) => Summary(key.Tokens, key.Sts, key.Subjects, key.Approval);

    /// <summary>One line for a table: the grants a workload profile's access tokens get, <c>-</c> for none.</summary>
    public static string Summary(BrokerWorkloadKey key) => Summary(key.Tokens, key.Sts, key.Subjects, key.Approval);

    private static string Summary(BrokerTokenGrant? tokens, BrokerStsGrant? sts, string? subjects, BrokerApprovalGrant? approval)
    {
        var parts = new List<string>();
        if (tokens is { } t)
        {
            parts.Add($"tokens[{Describe(t)}]");
        }

        if (sts is { } s)
        {
            parts.Add($"sts[{Describe(s)}]");
        }

        if (subjects is not null)
        {
            parts.Add("subjects=" + subjects);
        }

        if (Describe(approval) is { } a)
        {
            parts.Add($"approval[{a}]");
        }

        return parts.Count == 0 ? "-" : string.Join(" ", parts);
    }

    public static string? Describe(BrokerTokenGrant? grant) => grant is null
        ? null
        : Join(("aud", grant.Audiences.Count == 0 ? "(none)" : List(grant.Audiences)), ("scopes", List(grant.Scopes)), ("maxTtl", Seconds(grant.MaxTtlSeconds)));

    public static string? Describe(BrokerStsGrant? grant) => grant is null
        ? null
        : Join(("roles", List(grant.Roles) ?? "(own)"), ("maxDuration", Seconds(grant.MaxDurationSeconds)));

    public static string? Describe(BrokerApprovalGrant? grant) => grant is null
        ? null
        : Join(("scopes", List(grant.Scopes)), ("roles", List(grant.Roles)), ("credentials", List(grant.Credentials)));

    private static string[]? Given(CommandContext c, Option<string[]> option) => c.Get(option) is { Length: > 0 } values ? values : null;

    private static string? List(IReadOnlyList<string>? values) => values is { Count: > 0 } ? string.Join(",", values) : null;

    private static string? Seconds(int? seconds) => seconds is int s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) + "s" : null;

    private static string? Join(params (string Name, string? Value)[] parts)
    {
        var given = parts.Where(p => p.Value is not null).Select(p => $"{p.Name}={p.Value}").ToArray();
        return given.Length == 0 ? null : string.Join(" ", given);
    }
}
