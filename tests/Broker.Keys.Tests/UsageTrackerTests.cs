using Broker.Core;
using Broker.Keys;
using Moq;

namespace Broker.Keys.Tests;

/// <summary>Last-use stamps coalesced in memory and written in batches.</summary>
public sealed class UsageTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly ApiKeyRecord Key = new("key_1", "t", "agent", Role.Agent, "p", ["*"], [], null, null, T0, null, null, T0, false);

    [Fact]
    public async Task LastUsed_WhileTheBatchIsBeingWritten_StillShowsThePendingStamp()
    {
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new Mock<IKeyStore>(MockBehavior.Strict);
        store.Setup(s => s.TouchAsync(It.IsAny<IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>>>(), It.IsAny<CancellationToken>()))
            .Returns(async () =>
            {
                writing.SetResult();
                await release.Task;
            });
        var tracker = new UsageTracker(store.Object);
        tracker.Record(Key.Id, T0.AddMinutes(5));

        var flush = tracker.FlushAsync();
        await writing.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(T0.AddMinutes(5), tracker.LastUsed(Key));
        release.SetResult();
        await flush;
        Assert.Equal(T0.AddMinutes(5), tracker.LastUsed(Key with { LastUsedAt = T0.AddMinutes(5) }));
        Assert.Equal(T0, tracker.LastUsed(Key));
    }

    [Fact]
    public async Task FlushAsync_WhenTheStoreFails_KeepsTheStampsForTheNextFlush()
    {
        var store = new Mock<IKeyStore>(MockBehavior.Strict);
        store.SetupSequence(s => s.TouchAsync(It.IsAny<IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("store down"))
            .Returns(Task.CompletedTask);
        var tracker = new UsageTracker(store.Object);
        tracker.Record(Key.Id, T0.AddMinutes(1));

        await Assert.ThrowsAsync<InvalidOperationException>(() => tracker.FlushAsync());
        Assert.Equal(T0.AddMinutes(1), tracker.LastUsed(Key));

        await tracker.FlushAsync();
        store.Verify(s => s.TouchAsync(It.Is<IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>>>(b => b.Single().Value == T0.AddMinutes(1)), It.IsAny<CancellationToken>()), Times.Exactly(2));
    }
}
