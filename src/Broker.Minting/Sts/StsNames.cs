using System.Text;

namespace Broker.Minting.Sts;

/// <summary>Turns agent, task and user names into values STS accepts, by replacing characters rather than refusing.</summary>
public static class StsNames
{
    /// <summary><c>{agent}@{task}</c>, each part sanitised to <c>[\w+=,.@-]</c>, at most 64 characters; the agent part keeps
    /// at most 32 so the task always shows.</summary>
    public static string SessionName(string agent, string task)
    {
        var agentPart = SanitiseIdentifier(agent, 32);
        var taskPart = SanitiseIdentifier(task, StsLimits.MaxSessionNameLength - agentPart.Length - 1);
        return PadToMinimum(agentPart + "@" + taskPart);
    }

    /// <summary>The agent key's name sanitised to <c>[\w+=,.@-]</c>, 2..64 characters (so never the reserved <c>aws:</c> prefix).</summary>
    public static string SourceIdentity(string agent) => PadToMinimum(SanitiseIdentifier(agent, StsLimits.MaxSessionNameLength));

    /// <summary>A session tag value: characters outside <c>[A-Za-z0-9 _.:/=+\-@]</c> become <c>_</c>; at most 256.</summary>
    public static string TagValue(string value)
    {
        var length = Math.Min(value.Length, StsLimits.MaxTagValueLength);
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            var c = value[i];
            builder.Append(IsAsciiAlnum(c) || c is ' ' or '_' or '.' or ':' or '/' or '=' or '+' or '-' or '@' ? c : '_');
        }

        return builder.ToString();
    }

    private static string SanitiseIdentifier(string value, int maxLength)
    {
        var length = Math.Min(value.Length, Math.Max(maxLength, 0));
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            var c = value[i];
            builder.Append(IsAsciiAlnum(c) || c is '_' or '+' or '=' or ',' or '.' or '@' or '-' ? c : '-');
        }

        return builder.ToString();
    }

    private static string PadToMinimum(string value) => value.Length >= 2 ? value : value.PadRight(2, '-');

    private static bool IsAsciiAlnum(char c) => char.IsAsciiLetterOrDigit(c);
}
