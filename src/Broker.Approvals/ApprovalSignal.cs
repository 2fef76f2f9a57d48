namespace Broker.Approvals;

/// <summary>
/// The in-process signal that wakes waiters on an approval the moment it is decided: one chain of one-shot futures
/// for all approvals (decisions are rare), each completed link naming the decided approval and the next link. A waiter
/// takes the link before it reads the store, so no decision between read and wait is missed. Across replicas the
/// store's notification calls <see cref="Publish"/> too.
/// </summary>
public sealed class ApprovalSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource<ApprovalDecided> _source = New();

    /// <summary>The link that completes at the next decision.</summary>
    public Task<ApprovalDecided> Watch()
    {
        lock (_gate)
        {
            return _source.Task;
        }
    }

    /// <summary>Announces that <paramref name="id"/> was decided.</summary>
    public void Publish(string id)
    {
        TaskCompletionSource<ApprovalDecided> completed;
        Task<ApprovalDecided> next;
        lock (_gate)
        {
            completed = _source;
            _source = New();
            next = _source.Task;
        }

        completed.TrySetResult(new ApprovalDecided(id, next));
    }

    /// <summary>Waits from <paramref name="watch"/> until <paramref name="id"/> is decided; called again with the same link, it finds the same decisions.</summary>
    public static async Task WaitAsync(Task<ApprovalDecided> watch, string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var link = await watch.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (string.Equals(link.Id, id, StringComparison.Ordinal))
            {
                return;
            }

            watch = link.Next;
        }
    }

    private static TaskCompletionSource<ApprovalDecided> New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
