using Broker.Core;

namespace Broker.Server.Security;

/// <summary>Endpoint metadata: the roles that may call a route (any one suffices).</summary>
public sealed record RequiredRoles(IReadOnlyList<Role> Roles)
{
    public bool IsSatisfiedBy(Role role) => Roles.Any(r => role.Satisfies(r));
}

public static class RequiredRolesExtensions
{
    /// <summary>The route needs a valid key of one of these roles (401 without one, 403 with another role).</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, params Role[] roles)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredRoles(roles));
}
