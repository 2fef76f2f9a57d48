namespace Broker.Core;

/// <summary>The one role every inbound key has. Roles do not include one another except as <see cref="RoleExtensions"/> says.</summary>
public enum Role
{
    Admin,
    Responder,
    Agent,
    Caller,

    /// <summary>Decides requests that wait for a human (API.md v1.1 "Approvals"); admins may too.</summary>
    Approver,
}
