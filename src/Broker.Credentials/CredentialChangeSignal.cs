using System.Collections.Concurrent;

namespace Broker.Credentials;

/// <summary>
/// The in-process change signal for long-poll waiters: per tenant, a chain of one-shot futures. A waiter
/// takes the current link before it reads the store (so no change between read and wait is missed), then
/// awaits it; each completed link carries the change and the next link. No thread and no store read per
/// waiter; a waiter whose patterns do not match the changed name keeps waiting. Across replicas, the store's
/// notifications call <see cref="Publish"/> too.
/// </summary>
public sealed class CredentialChangeSignal
{
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    /// <summary>The link that completes at the tenant's next change.</summary>
    public Task<CredentialChangeEvent> Watch(string tenant) => GetSlot(tenant).Current;

    public void Publish(string tenant, long cursor, string name)
    {
        var slot = GetSlot(tenant);
        TaskCompletionSource<CredentialChangeEvent> completed;
        lock (slot)
        {
            completed = slot.Source;
            slot.Source = new TaskCompletionSource<CredentialChangeEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            slot.Current = slot.Source.Task;
        }

        completed.TrySetResult(new CredentialChangeEvent(cursor, name, slot.Current));
    }

    /// <summary>
    /// Waits from <paramref name="watch"/> until a change after <paramref name="cursor"/> whose name
    /// <paramref name="interested"/> accepts, or the timeout. Returns whether such a change happened.
    /// </summary>
    public static async Task<bool> WaitAsync(Task<CredentialChangeEvent> watch, long cursor, Func<string, bool> interested, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        try
        {
            while (true)
            {
                var change = await watch.WaitAsync(linked.Token).ConfigureAwait(false);
                if (change.Cursor > cursor && interested(change.Name))
                {
                    return true;
                }

                watch = change.Next;
            }
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits from <paramref name="watch"/> until a change after <paramref name="cursor"/> whose name
    /// <paramref name="interested"/> accepts; only <paramref name="cancellationToken"/> ends it otherwise. Called again
    /// with the same link and cursor, it finds the same changes again (nothing in between is missed).
    /// </summary>
    public static async Task WaitAsync(Task<CredentialChangeEvent> watch, long cursor, Func<string, bool> interested, CancellationToken cancellationToken)
    {
        while (true)
        {
            var change = await watch.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (change.Cursor > cursor && interested(change.Name))
            {
                return;
            }

            watch = change.Next;
        }
    }

    private Slot GetSlot(string tenant) => _slots.GetOrAdd(tenant, static _ => new Slot());

    private sealed class Slot
    {
        public Slot()
        {
            Source = new TaskCompletionSource<CredentialChangeEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            Current = Source.Task;
        }

        public TaskCompletionSource<CredentialChangeEvent> Source { get; set; }

        public Task<CredentialChangeEvent> Current { get; set; }
    }
}
