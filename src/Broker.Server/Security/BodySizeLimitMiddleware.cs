using Broker.Server.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Broker.Server.Security;

/// <summary>413 for bodies over the limit, declared or streamed (Kestrel's own limit covers chunked bodies too).</summary>
public sealed class BodySizeLimitMiddleware(RequestDelegate next, IOptions<BrokerOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var limit = options.Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            return Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Payload Too Large", "The request body is larger than 64 KiB.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        return next(context);
    }
}
