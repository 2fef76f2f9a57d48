namespace Broker.Approvals;

/// <summary>One stored announcement of the webhook's outbox: the exact body to POST, and how often it was tried.</summary>
/// <param name="Id">Its place in the outbox (announcements of one approval go out in this order).</param>
/// <param name="Tenant">The approval's tenant.</param>
/// <param name="ApprovalId">The approval it announces.</param>
/// <param name="Body">The JSON body (parameters only).</param>
/// <param name="Attempts">Failed attempts so far.</param>
/// <param name="CreatedAt">When it was queued.</param>
public sealed record ApprovalAnnouncement(long Id, string Tenant, string ApprovalId, string Body, int Attempts, DateTimeOffset CreatedAt);
