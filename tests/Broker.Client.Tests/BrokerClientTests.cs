using System.Diagnostics;
using Microsoft.AspNetCore.DataProtection;

namespace Broker.Client.Tests;

public sealed class BrokerClientTests : IAsyncLifetime
{
    private FakeBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await FakeBroker.StartNewAsync();
        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-one-0001");
        await _broker.SetCredentialAsync("search_key", "search-secret-value-0001");
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private BrokerClient NewClient(BrokerClientOptions? options = null) => new(_broker.Endpoint, _broker.AgentKey, options ?? TestUtil.FastOptions());

    [Fact]
    public async Task Start_LoadsEveryCredential_AndGetCredentialServesFromCache()
    {
        await using var client = NewClient();
        await client.StartAsync();

        var credential = client.GetCredential("openai_key");
        Assert.Equal("sk-openai-version-one-0001", credential.Value);
        Assert.Equal(1, credential.Version);
        Assert.True(client.TryGetCredential("search_key", out var search));
        Assert.Equal("search-secret-value-0001", search.Value);
        Assert.True(client.Status.IsReady);
        Assert.False(client.Status.FromDiskCache);
        Assert.NotNull(client.Status.Cursor);
        Assert.NotNull(client.Status.LastRefreshed);
    }

    [Fact]
    public async Task GetCredential_UnknownName_ThrowsNotFoundWithStatusZero()
    {
        await using var client = NewClient();
        await client.StartAsync();

        var ex = Assert.Throws<CredentialNotFoundException>(() => client.GetCredential("nope"));
        Assert.Equal("nope", ex.Name);
        Assert.Equal(0, ex.Status);
        Assert.False(client.TryGetCredential("nope", out _));
    }

    [Fact]
    public async Task GetCredential_OnHit_AllocatesNothing()
    {
        await using var client = NewClient();
        await client.StartAsync();
        for (var i = 0; i < 1000; i++)
        {
            client.GetCredential("openai_key");
            client.TryGetCredential("search_key", out _);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            client.GetCredential("openai_key");
            client.TryGetCredential("search_key", out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Start_BrokerUnreachableAndNoDiskCache_ThrowsStatusZero()
    {
        await _broker.StopAsync();
        var options = TestUtil.FastOptions();
        options.StartTimeout = TimeSpan.FromSeconds(1);
        await using var client = NewClient(options);

        var ex = await Assert.ThrowsAsync<BrokerException>(() => client.StartAsync());
        Assert.Equal(0, ex.Status);
        Assert.DoesNotContain(_broker.AgentKey, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithWrongKey_ThrowsUnauthorized()
    {
        await using var client = new BrokerClient(_broker.Endpoint, "brk_wrong_key_000000000000000000", TestUtil.FastOptions());
        var ex = await Assert.ThrowsAsync<BrokerException>(() => client.StartAsync());
        Assert.Equal(401, ex.Status);
        Assert.DoesNotContain("brk_wrong_key", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotation_ReachesClientThroughLongPoll_InUnderOneSecond()
    {
        await using var client = NewClient();
        await client.StartAsync();
        await TestUtil.WaitUntilAsync(() => Volatile.Read(ref _broker.LongPollRequests) > 0, "the client to long-poll");

        var changed = TestUtil.NextChangeAsync(client);
        var sw = Stopwatch.StartNew();
        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-two-0002");
        var args = await changed.WithDeadline("the rotation");
        sw.Stop();

        Assert.Equal(["openai_key"], args.Changed);
        Assert.Empty(args.Removed);
        Assert.Equal("sk-openai-version-two-0002", client.GetCredential("openai_key").Value);
        Assert.Equal(2, client.GetCredential("openai_key").Version);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"rotation took {sw.Elapsed}");
    }

    [Fact]
    public async Task Rotation_ReachesClientThroughPolling_WithinIntervalPlusJitter()
    {
        var options = TestUtil.FastOptions(longPoll: false);
        options.PollInterval = TimeSpan.FromMilliseconds(300);
        options.Jitter = 0.2;
        await using var client = NewClient(options);
        await client.StartAsync();

        var changed = TestUtil.NextChangeAsync(client);
        var sw = Stopwatch.StartNew();
        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-two-0002");
        await changed.WithDeadline("the rotation");
        sw.Stop();

        Assert.Equal("sk-openai-version-two-0002", client.GetCredential("openai_key").Value);
        Assert.Equal(0, Volatile.Read(ref _broker.LongPollRequests));
        // interval + jitter = 360 ms; the rest is slack for a busy shared machine.
        Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(360) + TimeSpan.FromSeconds(1.5), $"rotation took {sw.Elapsed}");
    }

    [Fact]
    public async Task Polling_WhenNothingChanged_Gets304()
    {
        var options = TestUtil.FastOptions(longPoll: false);
        options.PollInterval = TimeSpan.FromMilliseconds(50);
        await using var client = NewClient(options);
        await client.StartAsync();
        var changes = 0;
        client.CredentialsChanged += (_, _) => Interlocked.Increment(ref changes);

        await TestUtil.WaitUntilAsync(() => Volatile.Read(ref _broker.NotModifiedResponses) >= 3, "three 304 answers");
        Assert.Equal(0, Volatile.Read(ref changes));
        Assert.Null(client.Status.LastError);
    }

    [Fact]
    public async Task Removal_ReachesClient_AndIsReportedByName()
    {
        await using var client = NewClient();
        await client.StartAsync();
        var changed = TestUtil.NextChangeAsync(client);
        await _broker.RemoveCredentialAsync("search_key");

        var args = await changed.WithDeadline("the removal");
        Assert.Equal(["search_key"], args.Removed);
        Assert.False(client.TryGetCredential("search_key", out _));
    }

    [Fact]
    public async Task BrokerStopped_ClientKeepsServing_AndCatchesUpWhenBack()
    {
        await using var client = NewClient();
        await client.StartAsync();

        await _broker.StopAsync();
        await TestUtil.WaitUntilAsync(() => client.Status.LastError is not null, "the client to notice the outage");
        Assert.Equal("sk-openai-version-one-0001", client.GetCredential("openai_key").Value);
        Assert.True(client.Status.IsReady);

        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-two-0002");
        var changed = TestUtil.NextChangeAsync(client);
        await _broker.RestartAsync();

        await changed.WithDeadline("the catch-up");
        Assert.Equal("sk-openai-version-two-0002", client.GetCredential("openai_key").Value);
        await TestUtil.WaitUntilAsync(() => client.Status.LastError is null, "the status to clear");
    }

    [Fact]
    public async Task ClientRestartedWhileBrokerDown_StartsFromEncryptedDiskCache()
    {
        var dir = Directory.CreateTempSubdirectory("broker-cache-").FullName;
        var protection = new EphemeralDataProtectionProvider();
        try
        {
            var options = TestUtil.FastOptions();
            options.CacheDirectory = dir;
            options.DataProtectionProvider = protection;
            options.StartTimeout = TimeSpan.FromSeconds(1);

            await using (var first = NewClient(options))
            {
                await first.StartAsync();
            }

            var files = Directory.GetFiles(dir);
            Assert.Single(files);
            var raw = await File.ReadAllBytesAsync(files[0]);
            Assert.DoesNotContain("sk-openai-version-one-0001", System.Text.Encoding.UTF8.GetString(raw), StringComparison.Ordinal);
            Assert.DoesNotContain("sk-openai-version-one-0001", System.Text.Encoding.Unicode.GetString(raw), StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(files[0]));
            }

            await _broker.StopAsync();
            await using var second = NewClient(options);
            await second.StartAsync();

            Assert.True(second.Status.FromDiskCache);
            Assert.True(second.Status.IsReady);
            Assert.Equal("sk-openai-version-one-0001", second.GetCredential("openai_key").Value);
            Assert.Equal("[REDACTED:openai_key]", second.Redactor.Redact("sk-openai-version-one-0001"));

            // When the broker is back, the client leaves the disk cache behind.
            await _broker.SetCredentialAsync("openai_key", "sk-openai-version-two-0002");
            var changed = TestUtil.NextChangeAsync(second);
            await _broker.RestartAsync();
            await changed.WithDeadline("the catch-up");
            Assert.False(second.Status.FromDiskCache);
            Assert.Equal("sk-openai-version-two-0002", second.GetCredential("openai_key").Value);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task CredentialsChanged_FiresOncePerChangeSet_AfterTheCacheHoldsIt()
    {
        var options = TestUtil.FastOptions(longPoll: false);
        options.PollInterval = TimeSpan.FromMilliseconds(500);
        await using var client = NewClient(options);
        await client.StartAsync();
        var events = new List<CredentialsChangedEventArgs>();
        string? seenInHandler = null;
        var first = TestUtil.NextChangeAsync(client);
        client.CredentialsChanged += (_, e) =>
        {
            lock (events)
            {
                events.Add(e);
            }

            seenInHandler = client.GetCredential("openai_key").Value;
        };

        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-two-0002");
        await _broker.SetCredentialAsync("search_key", "search-secret-value-0002");
        await first.WithDeadline("the change set");

        lock (events)
        {
            var all = events.SelectMany(e => e.Changed).OrderBy(n => n).ToArray();
            Assert.Equal(["openai_key", "search_key"], all);
        }

        Assert.Equal("sk-openai-version-two-0002", seenInHandler);
    }

    [Fact]
    public async Task GetCredentialForSubject_AsksTheBrokerEachTime()
    {
        await _broker.SetCredentialAsync("github_token", "ghp_user_alice_000000001", subject: "alice");
        await using var client = NewClient();
        await client.StartAsync();

        var credential = await client.GetCredentialForSubjectAsync("github_token", "alice");
        Assert.Equal("ghp_user_alice_000000001", credential.Value);
        Assert.False(client.TryGetCredential("github_token", out _));

        var ex = await Assert.ThrowsAsync<CredentialNotFoundException>(() => client.GetCredentialForSubjectAsync("github_token", "bob"));
        Assert.Equal(404, ex.Status);
        Assert.Equal("github_token", ex.Name);
    }

    [Fact]
    public async Task MintToken_SendsTtlInSeconds_AndHidesTheToken()
    {
        await using var client = NewClient();
        var token = await client.MintTokenAsync(new TokenRequest { Audience = "https://api.example", Task = "t-1", Scopes = ["read", "write"], Ttl = TimeSpan.FromMinutes(2), OnBehalfOf = "alice" });

        Assert.Equal(120, (int)_broker.LastTokenRequest!["ttlSeconds"]!);
        Assert.Equal("alice", (string)_broker.LastTokenRequest!["onBehalfOf"]!);
        Assert.Equal(2, _broker.LastTokenRequest!["scopes"]!.AsArray().Count);
        Assert.Equal("Bearer", token.TokenType);
        Assert.DoesNotContain(token.Token, token.ToString(), StringComparison.Ordinal);

        var bad = await Assert.ThrowsAsync<BrokerException>(() => client.MintTokenAsync(new TokenRequest { Audience = "a", Task = "t", Ttl = TimeSpan.FromSeconds(1) }));
        Assert.Equal(400, bad.Status);
        Assert.Equal("validation", bad.ErrorCode);
    }

    [Fact]
    public async Task GetAwsCredentials_SendsThePolicyAsAJsonObject()
    {
        await using var client = NewClient();
        var session = await client.GetAwsCredentialsAsync(new AwsCredentialsRequest
        {
            Credential = "aws_main",
            Task = "report",
            Duration = TimeSpan.FromMinutes(30),
            Policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}""",
        });

        var sent = _broker.LastStsRequest!;
        Assert.Equal(System.Text.Json.JsonValueKind.Object, sent["policy"]!.GetValueKind());
        Assert.Equal("2012-10-17", (string)sent["policy"]!["Version"]!);
        Assert.Equal(1800, (int)sent["durationSeconds"]!);
        var text = session.ToString();
        Assert.DoesNotContain(session.SecretAccessKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(session.SessionToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain(session.AccessKeyId, text, StringComparison.Ordinal);

        await Assert.ThrowsAsync<ArgumentException>(() => client.GetAwsCredentialsAsync(new AwsCredentialsRequest { Credential = "aws_main", Task = "t", Policy = "not json" }));
    }

    [Theory]
    [InlineData("valid", true, InboundKeyFailure.None)]
    [InlineData("revoked", false, InboundKeyFailure.Revoked)]
    [InlineData("expired", false, InboundKeyFailure.Expired)]
    [InlineData("rate_limited", false, InboundKeyFailure.RateLimited)]
    [InlineData("quota_exceeded", false, InboundKeyFailure.QuotaExceeded)]
    public async Task VerifyInboundKey_MapsTheReason(string status, bool valid, InboundKeyFailure reason)
    {
        var key = await _broker.CreateInboundKeyAsync("caller-1", "support-agent");
        await _broker.SetInboundStatusAsync(key, status);
        await using var client = NewClient();

        var result = await client.VerifyInboundKeyAsync(key, "support-agent");
        Assert.Equal(valid, result.IsValid);
        Assert.Equal(reason, result.Reason);
        if (valid)
        {
            Assert.Equal("caller-1", result.Name);
            Assert.Equal("default", result.Tenant);
        }

        Assert.Equal(InboundKeyFailure.Unknown, (await client.VerifyInboundKeyAsync("brk_nobody", "support-agent")).Reason);
        Assert.Equal(valid ? InboundKeyFailure.Forbidden : reason, (await client.VerifyInboundKeyAsync(key, "other-agent")).Reason);
    }

    [Fact]
    public async Task SecretHoldingTypes_NeverShowTheSecret()
    {
        await using var client = NewClient();
        await client.StartAsync();
        var credential = client.GetCredential("openai_key");
        Assert.DoesNotContain(credential.Value, credential.ToString(), StringComparison.Ordinal);
        Assert.Contains("openai_key", credential.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_broker.AgentKey, client.Status.ToString()!, StringComparison.Ordinal);

        var resolveError = Assert.Throws<CredentialNotFoundException>(() => client.Resolve("$<credentials.openai_key> $<credentials.missing>"));
        Assert.DoesNotContain(credential.Value, resolveError.ToString(), StringComparison.Ordinal);
    }
}
