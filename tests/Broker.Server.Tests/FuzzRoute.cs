using System.Reflection;
using Broker.Core;
using Broker.Server.Security;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Broker.Server.Tests;

/// <summary>One (method, route) of the running app, with what it binds: route values, query, headers and body.</summary>
internal sealed record FuzzRoute(
    string Method, RoutePattern Pattern, Type? BodyType, IReadOnlyList<string> QueryNames, IReadOnlyList<string> HeaderNames, RequiredRoles? Roles)
{
    /// <summary>Whether a key of this role gets past authentication to the handler (every caller does on an open route).</summary>
    public bool Admits(Role? role) => Roles is null || role is { } r && Roles.IsSatisfiedBy(r);

    public string Name => Method + " " + Pattern.RawText;

    public bool HasRouteValues => Pattern.Parameters.Count > 0;

    /// <summary>Every route the app maps, read from its endpoint data source, so that a new route is covered without a change here.</summary>
    public static IReadOnlyList<FuzzRoute> All(EndpointDataSource source)
    {
        var routes = new List<FuzzRoute>();
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var handler = endpoint.Metadata.OfType<MethodInfo>().FirstOrDefault();
            var parameters = handler?.GetParameters() ?? [];
            var query = parameters.Select(p => p.GetCustomAttribute<FromQueryAttribute>() is { } q ? q.Name ?? p.Name : null).OfType<string>().ToArray();
            var headers = parameters.Select(p => p.GetCustomAttribute<FromHeaderAttribute>() is { } h ? h.Name ?? p.Name : null).OfType<string>().ToArray();
            var body = endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
            var roles = endpoint.Metadata.GetMetadata<RequiredRoles>();
            routes.AddRange(methods.Select(m => new FuzzRoute(m, endpoint.RoutePattern, body, query, headers, roles)));
        }

        return routes.OrderBy(r => r.Pattern.RawText, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal).ToArray();
    }

    /// <summary>The path with every route value replaced by <paramref name="value"/> (already percent-encoded as it should go on the wire).</summary>
    public string PathWith(string value)
    {
        var segments = Pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart => value,
            _ => "",
        })));
        return "/" + string.Join("/", segments);
    }
}
