using Broker.Core.Grants;

namespace Broker.Server.Security;

/// <summary>The headers that prove the user a request names (API.md v1.1 "Acting for a user"); their values are never logged or recorded.</summary>
public static class UserProofHeaders
{
    public const string Assertion = "Broker-User-Assertion";
    public const string CallerKey = "Broker-User-Key";

    /// <summary>The proof the request carries, or null.</summary>
    public static UserProof? GetUserProof(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var headers = context.Request.Headers;
        return UserProof.From(headers[Assertion].ToString(), headers[CallerKey].ToString());
    }
}
