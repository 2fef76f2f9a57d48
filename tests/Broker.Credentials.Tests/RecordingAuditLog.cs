using System.Collections.Concurrent;
using Broker.Audit;

namespace Broker.Credentials.Tests;

/// <summary>An audit log that keeps every entry, and can be switched to refuse (an audit outage).</summary>
internal sealed class RecordingAuditLog : IAuditLog
{
    private readonly ConcurrentQueue<AuditEntry> _entries = new();

    public bool Unavailable { get; set; }

    public IReadOnlyList<AuditEntry> Entries => _entries.ToArray();

    public ValueTask RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        if (Unavailable)
        {
            throw new AuditUnavailableException("The test trail is down.");
        }

        _entries.Enqueue(entry);
        return ValueTask.CompletedTask;
    }
}
