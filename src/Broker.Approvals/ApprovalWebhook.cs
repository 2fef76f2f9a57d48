using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Approvals;

/// <summary>
/// Announces each new approval request, and then its decision or its expiry, to <see cref="ApprovalOptions.WebhookUrl"/>
/// in the background (<c>event</c> <c>requested</c>, <c>approved</c>, <c>denied</c> or <c>expired</c>, so a channel of
/// approvers sees who took a request, or that nobody did, and nobody looks at it twice).
/// <para>
/// Through an outbox in the store: each announcement is stored with its exact body when it happens (never slowing or
/// failing the request), then POSTed by whichever replica claims it, one at a time through the
/// <see cref="HttpClientName"/> client (retries with backoff within an attempt: the resilience handler), signed with
/// <c>Broker-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c> under <see cref="ApprovalOptions.WebhookSecret"/>.
/// An attempt that fails (the webhook down or answering an error) is tried again after 5 s, 10 s, 20 s, ... at most
/// every <see cref="MaxRetryDelay"/>, for <see cref="GiveUpAfter"/>, across restarts; an announcement never goes out
/// before an earlier one of the same approval. Logs name the approval and the HTTP status, never the secret or the
/// URL's query.
/// </para>
/// </summary>
public sealed partial class ApprovalWebhook(
    IHttpClientFactory clients, IApprovalStore store, IOptions<ApprovalOptions> options, TimeProvider time, ILogger<ApprovalWebhook> logger) : BackgroundService
{
    public const string HttpClientName = "Broker.Approvals.Webhook";
    public const string SignatureHeader = "Broker-Signature";

    /// <summary>How often a replica looks for announcements due (besides at once after one of its own).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two attempts of one announcement.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(5);

    /// <summary>How long an announcement is tried before it is dropped (and logged).</summary>
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromDays(1);

    // A claim lasts longer than one attempt can (the resilience handler's total timeout is 30 s).
    private static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(2);
    private const int ClaimBatch = 20;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly SemaphoreSlim _due = new(0);

    /// <summary>Stores an announcement of <paramref name="approval"/> (nothing when no webhook is configured).</summary>
    public Task EnqueueAsync(Approval approval) => EnqueueAsync(approval, expired: false);

    /// <summary>Stores an announcement that <paramref name="approval"/> expired undecided, or approved and unused.</summary>
    public Task EnqueueExpiredAsync(Approval approval) => EnqueueAsync(approval, expired: true);

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

    /// <summary>
    /// Sends every announcement due now that this replica can claim, in order; a failed one is scheduled again. Returns
    /// how many were delivered. The background loop calls it at once after a local announcement and every
    /// <see cref="PollInterval"/>.
    /// </summary>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        if (settings.WebhookUrl is null)
        {
            return 0;
        }

        var delivered = 0;
        while (true)
        {
            var now = time.GetUtcNow();
            var claimed = await store.ClaimAnnouncementsAsync(now, now + ClaimFor, ClaimBatch, cancellationToken).ConfigureAwait(false);
            if (claimed.Count == 0)
            {
                return delivered;
            }

            var failing = false;
            foreach (var announcement in claimed)
            {
                if (failing)
                {
                    // The webhook is failing: give the rest back untried (no attempt counted) for the next pass. A later
                    // announcement of the failed one's approval thus never goes out before it.
                    await store.RetryAnnouncementAsync(announcement.Id, announcement.Attempts, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
                    continue;
                }

                if (await PostAsync(settings, announcement, cancellationToken).ConfigureAwait(false))
                {
                    await store.DeleteAnnouncementAsync(announcement.Id, CancellationToken.None).ConfigureAwait(false);
                    delivered++;
                    continue;
                }

                failing = true;
                var attempts = announcement.Attempts + 1;
                var at = time.GetUtcNow();
                if (at - announcement.CreatedAt >= GiveUpAfter)
                {
                    await store.DeleteAnnouncementAsync(announcement.Id, CancellationToken.None).ConfigureAwait(false);
                    LogGaveUp(logger, announcement.ApprovalId, attempts);
                    continue;
                }

                await store.RetryAnnouncementAsync(announcement.Id, attempts, at + RetryDelay(attempts), CancellationToken.None).ConfigureAwait(false);
            }

            if (failing)
            {
                return delivered;
            }
        }
    }

    /// <summary>The wait after the <paramref name="attempts"/>-th failed attempt: 5 s, doubling, at most <see cref="MaxRetryDelay"/>.</summary>
    public static TimeSpan RetryDelay(int attempts) =>
        TimeSpan.FromSeconds(Math.Min(MaxRetryDelay.TotalSeconds, 5 * Math.Pow(2, Math.Clamp(attempts - 1, 0, 16))));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SendDueAsync(stoppingToken).ConfigureAwait(false);
                await _due.WaitAsync(PollInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The store is down: the announcements wait in it (or were never stored); try again later.
                LogPassFailed(logger, ex.GetType().Name);
                try
                {
                    await Task.Delay(PollInterval, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task EnqueueAsync(Approval approval, bool expired)
    {
        ArgumentNullException.ThrowIfNull(approval);
        if (options.Value.WebhookUrl is null)
        {
            return;
        }

        try
        {
            await store.AddAnnouncementAsync(approval.Tenant, approval.Id, Encoding.UTF8.GetString(BodyOf(approval, expired)), time.GetUtcNow(), CancellationToken.None)
                .ConfigureAwait(false);
            _due.Release();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The request stands (it is stored and listed for approvers); only its announcement is lost.
            LogDropped(logger, approval.Id, ex.GetType().Name);
        }
    }

    private async Task<bool> PostAsync(ApprovalOptions settings, ApprovalAnnouncement announcement, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(announcement.Body);
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.WebhookUrl) { Content = new ByteArrayContent(body) };
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
                LogSent(logger, announcement.ApprovalId);
                return true;
            }

            LogRefused(logger, announcement.ApprovalId, (int)response.StatusCode);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Never the URL (its query may hold a token) and never the message (it may quote it).
            LogFailed(logger, announcement.ApprovalId, ex.GetType().Name);
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Approval {ApprovalId} could not be queued for the webhook ({Error}); it is not announced")]
    private static partial void LogDropped(ILogger logger, string approvalId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gave up announcing approval {ApprovalId} to the webhook after {Attempts} attempts over a day")]
    private static partial void LogGaveUp(ILogger logger, string approvalId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending approval announcements failed ({Error}); retrying later")]
    private static partial void LogPassFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Approval {ApprovalId} announced to the webhook")]
    private static partial void LogSent(ILogger logger, string approvalId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The approval webhook answered {Status} for approval {ApprovalId}")]
    private static partial void LogRefused(ILogger logger, string approvalId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The approval webhook could not be reached for approval {ApprovalId} ({Error})")]
    private static partial void LogFailed(ILogger logger, string approvalId, string error);
}
