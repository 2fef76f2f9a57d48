namespace Broker.Core;

public static class RoleExtensions
{
    /// <summary>The wire spelling: <c>admin</c>, <c>responder</c>, <c>agent</c>, <c>caller</c>, <c>approver</c>.</summary>
    public static string ToWire(this Role role) => role switch
    {
        Role.Admin => "admin",
        Role.Responder => "responder",
        Role.Agent => "agent",
        Role.Caller => "caller",
        Role.Approver => "approver",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static bool TryParse(string? value, out Role role)
    {
        switch (value)
        {
            case "admin": role = Role.Admin; return true;
            case "responder": role = Role.Responder; return true;
            case "agent": role = Role.Agent; return true;
            case "caller": role = Role.Caller; return true;
            case "approver": role = Role.Approver; return true;
            default: role = default; return false;
        }
    }

    /// <summary>
    /// Whether a key of role <paramref name="held"/> may do what <paramref name="required"/> may.
    /// An admin may do everything a responder and an approver may; nothing else is implied (an admin cannot mint tokens).
    /// </summary>
    public static bool Satisfies(this Role held, Role required) =>
        held == required || (held == Role.Admin && required is Role.Responder or Role.Approver);
}
