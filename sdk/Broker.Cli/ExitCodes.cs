namespace Broker.Cli;

/// <summary>What the process's exit status means; documented in the README and by <c>broker --help</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>Bad arguments or configuration, or the broker refused the input (400, 413).</summary>
    public const int Usage = 1;

    /// <summary>The key, credential or approval does not exist (404).</summary>
    public const int NotFound = 2;

    /// <summary>The key is missing, unknown, revoked or expired (401), or lacks the role or grant (403).</summary>
    public const int Forbidden = 3;

    /// <summary>A conflict or failed precondition (409, 412): revoked key, moved version, decided approval.</summary>
    public const int Conflict = 4;

    /// <summary>The broker could not be reached or could not answer (no answer, 429, 5xx).</summary>
    public const int Unavailable = 5;

    /// <summary>An audit chain does not verify.</summary>
    public const int VerificationFailed = 6;

    /// <summary>Anything else (a bug): the message says what.</summary>
    public const int Internal = 9;

    public const string Help = """
        Exit codes: 0 ok; 1 usage or configuration (also a 400 from the broker); 2 not found; 3 unauthenticated or
        forbidden; 4 conflict or precondition failed; 5 broker unreachable or unavailable (429, 5xx); 6 audit chain
        does not verify; 9 internal error.
        """;

    /// <summary>The exit code of a broker answer's HTTP status (0 when there was no answer).</summary>
    public static int ForStatus(int status) => status switch
    {
        400 or 413 or 422 => Usage,
        404 => NotFound,
        401 or 403 => Forbidden,
        409 or 412 => Conflict,
        _ => Unavailable,
    };
}
