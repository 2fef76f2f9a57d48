using System.Globalization;
using System.Text;
using Broker.Core;

namespace Broker.Audit;

/// <summary>
/// Builds a record's <c>reason</c>: an optional bare code first (why a request was refused or failed:
/// <see cref="Validation"/>, <see cref="NotFound"/>, …), then space-separated <c>key=value</c> pairs, for example
/// <c>jti=Qx… sub=alice scopes=read,write ttl=300</c>. A list value is comma-separated. Inside a value, <c>%</c>,
/// <c>,</c>, whitespace and control characters are percent-encoded (UTF-8), so a value can neither forge another
/// pair nor split a list, and the text parses back. The reason is part of the hashed record, so these fields are
/// chained like any other without a new column.
/// <para>Identifiers and parameters only: never a secret value, a presented key, or the HMAC of a presented value.</para>
/// </summary>
public sealed class AuditReason
{
    public const string Validation = "validation";
    public const string NotFound = "not_found";
    public const string PreconditionFailed = "precondition_failed";
    public const string Conflict = "conflict";
    public const string Forbidden = "forbidden";
    public const string RateLimited = "rate_limited";
    public const string Unavailable = "unavailable";
    public const string Upstream = "upstream";

    /// <summary>The audit record of the change could not be made durable, so the change was not made (503).</summary>
    public const string AuditUnavailable = "audit_unavailable";

    /// <summary>The change threw (a store or key-material failure) and its transaction did not commit (5xx).</summary>
    public const string Failed = "failed";

    /// <summary>Longer values are cut to this many characters and end in <c>...</c>.</summary>
    public const int MaxValueLength = 512;

    private readonly StringBuilder _text = new();

    /// <param name="code">A bare code first (no escaping: pass a constant of this class), or null for pairs only.</param>
    public AuditReason(string? code = null)
    {
        if (!string.IsNullOrEmpty(code))
        {
            _text.Append(code);
        }
    }

    /// <summary>Appends <c>key=value</c>; a null value appends nothing.</summary>
    public AuditReason Add(string key, string? value)
    {
        if (value is not null)
        {
            Key(key);
            Escape(value, _text);
        }

        return this;
    }

    public AuditReason Add(string key, long? value) => value is null ? this : Add(key, value.Value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Appends <c>key=yes</c> or <c>key=no</c>.</summary>
    public AuditReason Add(string key, bool value) => Add(key, value ? "yes" : "no");

    /// <summary>Appends <c>key=a,b,c</c> (<c>key=</c> for an empty list); a null list appends nothing.</summary>
    public AuditReason AddList(string key, IEnumerable<string>? values)
    {
        if (values is null)
        {
            return this;
        }

        Key(key);
        var first = true;
        foreach (var value in values)
        {
            if (!first)
            {
                _text.Append(',');
            }

            Escape(value, _text);
            first = false;
        }

        return this;
    }

    public override string ToString() => _text.ToString();

    /// <summary>
    /// The reason a refusal by <paramref name="exception"/> is recorded with: its code (for a grant, the rule that
    /// refused), and for a validation error the fields at fault.
    /// </summary>
    public static AuditReason For(BrokerOperationException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var reason = new AuditReason(exception is Core.Grants.GrantRefusedException refused ? refused.Rule : CodeFor(exception.Kind));
        return exception is ValidationException invalid ? reason.AddList("fields", invalid.Errors.Keys.Order(StringComparer.Ordinal)) : reason;
    }

    /// <summary>The code a refusal or failure of this kind is recorded with.</summary>
    public static string CodeFor(BrokerErrorKind kind) => kind switch
    {
        BrokerErrorKind.Validation => Validation,
        BrokerErrorKind.NotFound => NotFound,
        BrokerErrorKind.Forbidden => Forbidden,
        BrokerErrorKind.Conflict => Conflict,
        BrokerErrorKind.PreconditionFailed => PreconditionFailed,
        BrokerErrorKind.Unavailable => Unavailable,
        BrokerErrorKind.Upstream => Upstream,
        BrokerErrorKind.RateLimited => RateLimited,
        _ => Failed,
    };

    /// <summary>The outcome a refusal or failure of this kind is recorded with: <c>error</c> when the broker or an upstream failed, <c>denied</c> otherwise.</summary>
    public static string OutcomeFor(BrokerErrorKind kind) =>
        kind is BrokerErrorKind.Unavailable or BrokerErrorKind.Upstream ? AuditOutcomes.Error : AuditOutcomes.Denied;

    private void Key(string key)
    {
        if (_text.Length > 0)
        {
            _text.Append(' ');
        }

        _text.Append(key).Append('=');
    }

    private static void Escape(string value, StringBuilder into)
    {
        var cut = value.Length > MaxValueLength;
        var span = cut ? value.AsSpan(0, MaxValueLength) : value.AsSpan();
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (c is '%' or ',' || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                var written = Encoding.UTF8.GetBytes(span.Slice(i, 1), utf8);
                foreach (var b in utf8[..written])
                {
                    into.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
                }
            }
            else
            {
                into.Append(c);
            }
        }

        if (cut)
        {
            into.Append("...");
        }
    }
}
