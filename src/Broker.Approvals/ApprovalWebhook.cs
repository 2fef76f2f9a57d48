using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Approvals;

/// <summary>
/// Announces each new approval request, and then its decision or its expiry, to <see cref="ApprovalOptions.WebhookUrl"/>
/// in the background (<c>event</c> <c>requested</c>, <c>approved</c>, <c>denied</c> or <c>expired</c>, so a channel of
/// approvers sees who took a request, or that nobody did, and nobody looks at it twice): a bounded
/// queue (a full queue drops the announcement and logs it, never slowing or failing the request), one POST at a time
/// through the <see cref="HttpClientName"/> client (retries with backoff: the resilience handler), signed with
/// <c>Broker-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c> under <see cref="ApprovalOptions.WebhookSecret"/>.
/// Logs name the approval and the HTTP status, never the secret or the URL's query.
/// </summary>
public sealed partial class ApprovalWebhook(IHttpClientFactory clients, IOptions<ApprovalOptions> options, ILogger<ApprovalWebhook> logger) : BackgroundService
{
    public const string HttpClientName = "Broker.Approvals.Webhook";
    public const string SignatureHeader = "Broker-Signature";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Channel<Announcement> _queue = Channel.CreateBounded<Announcement>(
        new BoundedChannelOptions(Math.Max(1, options.Value.WebhookQueueLength)) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>Queues an announcement of <paramref name="approval"/> (nothing when no webhook is configured).</summary>
    public void Enqueue(Approval approval) => Enqueue(approval, expired: false);

    /// <summary>Queues an announcement that <paramref name="approval"/> expired undecided, or approved and unused.</summary>
    public void EnqueueExpired(Approval approval) => Enqueue(approval, expired: true);

    /// <summary>The body of an announcement: <c>text</c> for chat tools, then the approval's fields.</summary>
    public static byte[] BodyOf(Approval approval) => BodyOf(approval, expired: false);

    /// <summary>The body of an announcement; <paramref name="expired"/>: of its expiry (<c>event</c> and <c>status</c> <c>expired</c>).</summary>
    public static byte[] BodyOf(Approval approval, bool expired)
    {
        ArgumentNullException.ThrowIfNull(approval);
        var ask = approval.Ask;
        var what = ask.Kind switch
        {
            ApprovalKinds.Token => $"a token for {ask.Target}" + (ask.Scopes.Count == 0 ? "" : $" with scopes {string.Join(' ', ask.Scopes)}"),
            ApprovalKinds.Sts => $"AWS credentials from {ask.Target} as {ask.RoleArn ?? "its own role"}",
            _ => $"a read of credential {ask.Target}",
        };
        var asked = $"Agent {approval.RequestedBy} asks for {what}" + (ask.OnBehalfOf is null ? "" : $" on behalf of {ask.OnBehalfOf}")
            + (ask.Task is null ? "" : $" (task {ask.Task})");
        var (@event, text) = expired ? ("expired", approval.StoredStatus == ApprovalStatuses.Approved
                ? $"Approval {approval.Id}, approved by {approval.DecidedBy}, expired unused at {approval.ExpiresAt:u}: {asked}."
                : $"Approval {approval.Id} expired undecided at {approval.ExpiresAt:u}: {asked}.")
            : approval.StoredStatus switch
        {
            ApprovalStatuses.Approved => ("approved", $"Approval {approval.Id} was approved by {approval.DecidedBy}: {asked}."
                + (approval.Reason is null ? "" : $" Reason: {approval.Reason}.") + $" It can be used once until {approval.ExpiresAt:u}."),
            ApprovalStatuses.Denied => ("denied", $"Approval {approval.Id} was denied by {approval.DecidedBy}: {asked}."
                + (approval.Reason is null ? "" : $" Reason: {approval.Reason}.")),
            _ => ("requested", $"{asked}. Approval {approval.Id} expires at {approval.ExpiresAt:u}."),
        };
        return JsonSerializer.SerializeToUtf8Bytes(new
        {
            text,
            @event,
            id = approval.Id,
            tenant = approval.Tenant,
            status = expired ? ApprovalStatuses.Expired : approval.StoredStatus,
            kind = ask.Kind,
            target = ask.Target,
            scopes = ask.Scopes,
            roleArn = ask.RoleArn,
            onBehalfOf = ask.OnBehalfOf,
            task = ask.Task,
            requestedBy = approval.RequestedBy,
            decidedBy = approval.DecidedBy,
            decidedAt = approval.DecidedAt,
            reason = approval.Reason,
            expiresAt = approval.ExpiresAt,
        }, Json);
    }

    /// <summary>The <c>Broker-Signature</c> value of <paramref name="body"/>: <c>sha256=</c> and the lowercase hex HMAC-SHA256.</summary>
    public static string SignatureOf(ReadOnlySpan<byte> body, string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (approval, expired) in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            await SendAsync(approval, expired, stoppingToken).ConfigureAwait(false);
        }
    }

    private void Enqueue(Approval approval, bool expired)
    {
        ArgumentNullException.ThrowIfNull(approval);
        if (options.Value.WebhookUrl is null)
        {
            return;
        }

        if (!_queue.Writer.TryWrite(new Announcement(approval, expired)))
        {
            LogDropped(logger, approval.Id);
        }
    }

    private async Task SendAsync(Approval approval, bool expired, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.WebhookUrl is not { } url)
        {
            return;
        }

        var body = BodyOf(approval, expired);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (!string.IsNullOrEmpty(settings.WebhookSecret))
        {
            request.Headers.TryAddWithoutValidation(SignatureHeader, SignatureOf(body, settings.WebhookSecret));
        }

        try
        {
            using var client = clients.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                LogSent(logger, approval.Id);
            }
            else
            {
                LogRefused(logger, approval.Id, (int)response.StatusCode);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Never the URL (its query may hold a token) and never the message (it may quote it).
            LogFailed(logger, approval.Id, ex.GetType().Name);
        }
    }

    private readonly record struct Announcement(Approval Approval, bool Expired);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The approval webhook queue is full: approval {ApprovalId} was not announced")]
    private static partial void LogDropped(ILogger logger, string approvalId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Approval {ApprovalId} announced to the webhook")]
    private static partial void LogSent(ILogger logger, string approvalId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The approval webhook answered {Status} for approval {ApprovalId}")]
    private static partial void LogRefused(ILogger logger, string approvalId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The approval webhook could not be reached for approval {ApprovalId} ({Error})")]
    private static partial void LogFailed(ILogger logger, string approvalId, string error);
}
