namespace Broker.Cli.Verification;

/// <summary>Whether the file still holds a checkpoint's record with the checkpoint's hash.</summary>
/// <param name="Status"><c>held</c>; <c>not_covered</c> (older than the file's first record: not a failure); <c>cut</c> (the file ends before it); <c>mismatch</c> (rewritten).</param>
internal sealed record CheckpointReport(string Tenant, long Id, string Status, bool Held, string? Problem);
