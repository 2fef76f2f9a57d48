using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Broker.Server.Security;

/// <summary>
/// The OpenAPI document's security: a <c>bearer</c> scheme (HTTP, scheme bearer: the broker key in
/// <c>Authorization: Bearer</c>), required by exactly the operations whose route declares <see cref="RequiredRoles"/>,
/// so health, discovery and JWKS routes carry no requirement.
/// </summary>
public sealed class BearerSecurityTransformer : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public const string SchemeId = "bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        EnsureScheme(document);
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var roles = context.Description.ActionDescriptor.EndpointMetadata.OfType<RequiredRoles>().LastOrDefault();
        if (roles is null || context.Document is not { } document)
        {
            return Task.CompletedTask;
        }

        // The scheme must exist before a reference to it is made, or the reference does not resolve when written.
        EnsureScheme(document);
        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeId, document)] = [] });
        return Task.CompletedTask;
    }

    private static void EnsureScheme(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes.TryAdd(SchemeId, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A broker key (brk_...): 401 without a valid key, 403 with a key of a role the route does not take.",
        });
    }
}
