using System.Net.Http.Json;
using System.Text.Json;

namespace Broker.Client.Internal;

/// <summary>Turns the broker's answers and transport failures into <see cref="BrokerException"/>s, and classifies them.</summary>
internal static class BrokerErrors
{
    /// <summary>
    /// Maps an error answer: an <c>application/problem+json</c> body gives <see cref="BrokerException.ErrorCode"/> (its
    /// <c>type</c>) and the message (its <c>detail</c>, which on a 403 names the rule that refused); a 404 about a named
    /// credential is a <see cref="CredentialNotFoundException"/>.
    /// </summary>
    /// <param name="response">The answer; its content is already buffered.</param>
    /// <param name="credentialName">The credential the request was about, if any.</param>
    /// <param name="sanitize">Applied to the broker's text before it becomes a message: the broker never puts a value in a
    /// problem, and this makes sure no value this client knows can get into an exception through one.</param>
    /// <param name="cancellationToken">Cancels reading the body.</param>
    public static async Task<BrokerException> FromResponseAsync(HttpResponseMessage response, string? credentialName, Func<string, string> sanitize, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        ProblemDto? problem = null;
        try
        {
            if (response.Content.Headers.ContentType?.MediaType is { } media && media.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                problem = await response.Content.ReadFromJsonAsync<ProblemDto>(Wire.Json, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException)
        {
            // Not a problem document after all: fall back to the status line.
        }

        var text = problem?.Detail ?? problem?.Title;
        var message = string.IsNullOrWhiteSpace(text) ? $"The broker answered {status} {response.ReasonPhrase}." : sanitize(text);
        if (status == 404 && credentialName is not null)
        {
            return new CredentialNotFoundException(credentialName, 404, message, problem?.Type);
        }

        return new BrokerException(message, status, problem?.Type);
    }

    /// <summary>An answer this client cannot read; the JSON reader's own message may quote the payload, so it is dropped.</summary>
    public static BrokerException Unreadable(int status)
        => new("The broker sent an answer this client cannot read.", status, null, new FormatException("Malformed JSON."));

    /// <summary>Whether another attempt may succeed: no answer, a timeout, throttling, a server error, or a garbled answer.</summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        HttpRequestException => true,
        JsonException => true,
        BrokerException { InnerException: FormatException } => true,
        BrokerException b => b.Status is 0 or 408 or 429 or >= 500,
        _ => false,
    };

    /// <summary>A short description for logs and <see cref="BrokerClientStatus.LastError"/>; never a value.</summary>
    public static string Describe(Exception? ex) => ex switch
    {
        null => "unknown",
        BrokerException b => b.Message,
        HttpRequestException h => h.HttpRequestError != HttpRequestError.Unknown ? $"{h.HttpRequestError}" : h.GetType().Name,
        OperationCanceledException => "timed out",
        _ => ex.GetType().Name,
    };
}
