namespace Broker.Approvals;

/// <summary>One link of <see cref="ApprovalSignal"/>: the approval decided, and the link after it.</summary>
public sealed record ApprovalDecided(string Id, Task<ApprovalDecided> Next);
