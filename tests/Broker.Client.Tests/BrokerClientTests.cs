using System.Diagnostics;
using Microsoft.AspNetCore.DataProtection;

namespace Broker.Client.Tests;

/// <summary>The client's behaviour, run against the real server (<see cref="Real"/>) and the wire fake (<see cref="Fake"/>).</summary>
public abstract class BrokerClientTests : IAsyncLifetime
{
    private ITestBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await StartBrokerAsync();
        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-one-0001");
        await _broker.SetCredentialAsync("search_key", "search-secret-value-0001");
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    protected abstract Task<ITestBroker> StartBrokerAsync();

    private BrokerClient NewClient(BrokerClientOptions? options = null) => new(_broker.Endpoint, _broker.AgentKey, options ?? TestUtil.FastOptions());

    private BrokerClient NewCountedClient(RequestCounter counter, BrokerClientOptions? options = null)
    {
        options ??= TestUtil.FastOptions();
        options.HttpMessageHandler = counter;
        return NewClient(options);
    }

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

        // The smallest of three rounds: a one-off allocation by the runtime on this thread (seen once in a full CI run,
        // 7,944 B) must not pass for the lookup's; a lookup that allocates does so in every round.
        var fewest = long.MaxValue;
        for (var round = 0; round < 3 && fewest != 0; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++)
            {
                client.GetCredential("openai_key");
                client.TryGetCredential("search_key", out _);
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
    }

    [Fact]
    public async Task Metrics_CountCacheHitsAndMisses()
    {
        await using var client = NewClient();
        await client.StartAsync();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, client.Telemetry.Meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => seen[instrument.Name] = value);
        listener.Start();

        client.GetCredential("openai_key");
        Assert.True(client.TryGetCredential("search_key", out _));
        Assert.False(client.TryGetCredential("nope", out _));
        Assert.Throws<CredentialNotFoundException>(() => client.Resolve("$<credentials.nope>"));
        listener.RecordObservableInstruments();

        Assert.Equal(2, seen["broker.client.cache.hits"]);
        Assert.Equal(2, seen["broker.client.cache.misses"]);
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
    public async Task KeyCredential_Update_AppliesToTheNextRequest()
    {
        var credential = new BrokerKeyCredential("brk_wrong_key_000000000000000000");
        await using var client = new BrokerClient(_broker.Endpoint, credential, TestUtil.FastOptions());
        Assert.Equal(401, (await Assert.ThrowsAsync<BrokerException>(() => client.StartAsync())).Status);

        credential.Update(_broker.AgentKey);
        await client.StartAsync();

        Assert.Equal("sk-openai-version-one-0001", client.GetCredential("openai_key").Value);
        Assert.DoesNotContain(_broker.AgentKey, credential.ToString(), StringComparison.Ordinal);
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
        var counter = new RequestCounter();
        await using var client = NewCountedClient(counter);
        await client.StartAsync();
        await TestUtil.WaitUntilAsync(() => counter.LongPolls > 0, "the client to long-poll");

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
        var counter = new RequestCounter();
        await using var client = NewCountedClient(counter, options);
        await client.StartAsync();

        var changed = TestUtil.NextChangeAsync(client);
        var sw = Stopwatch.StartNew();
        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-two-0002");
        await changed.WithDeadline("the rotation");
        sw.Stop();

        Assert.Equal("sk-openai-version-two-0002", client.GetCredential("openai_key").Value);
        Assert.Equal(0, counter.LongPolls);
        // interval + jitter = 360 ms; the rest is slack for a busy shared machine.
        Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(360) + TimeSpan.FromSeconds(1.5), $"rotation took {sw.Elapsed}");
    }

    [Fact]
    public async Task Polling_WhenNothingChanged_Gets304()
    {
        var options = TestUtil.FastOptions(longPoll: false);
        options.PollInterval = TimeSpan.FromMilliseconds(50);
        var counter = new RequestCounter();
        await using var client = NewCountedClient(counter, options);
        await client.StartAsync();
        var changes = 0;
        client.CredentialsChanged += (_, _) => Interlocked.Increment(ref changes);

        await TestUtil.WaitUntilAsync(() => counter.NotModified >= 3, "three 304 answers");
        Assert.True(counter.FeedRequests >= 4, "one full load, then conditional polls");
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
        client.CredentialsChanged += (_, e) =>
        {
            if (e.Changed.Contains("openai_key"))
            {
                seenInHandler = client.GetCredential("openai_key").Value;
            }

            lock (events)
            {
                events.Add(e);
            }
        };

        // The two writes may land in one poll or in two: either way each name is reported exactly once.
        await _broker.SetCredentialAsync("openai_key", "sk-openai-version-two-0002");
        await _broker.SetCredentialAsync("search_key", "search-secret-value-0002");
        await TestUtil.WaitUntilAsync(
            () =>
            {
                lock (events)
                {
                    return events.SelectMany(e => e.Changed).Distinct().Count() == 2;
                }
            },
            "both changes");

        lock (events)
        {
            var all = events.SelectMany(e => e.Changed).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            Assert.Equal(["openai_key", "search_key"], all);
            Assert.All(events, e => Assert.Empty(e.Removed));
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
    public async Task MintToken_HidesTheToken_AndABadTtlGets400()
    {
        await using var client = NewClient();
        var token = await client.MintTokenAsync(new TokenRequest { Audience = "https://api.example", Task = "t-1", Scopes = ["read", "write"], Ttl = TimeSpan.FromMinutes(2), OnBehalfOf = "alice" });

        Assert.Equal("Bearer", token.TokenType);
        Assert.False(string.IsNullOrEmpty(token.Jti));
        Assert.InRange(token.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(125));
        Assert.DoesNotContain(token.Token, token.ToString(), StringComparison.Ordinal);

        var bad = await Assert.ThrowsAsync<BrokerException>(() => client.MintTokenAsync(new TokenRequest { Audience = "a", Task = "t", Ttl = TimeSpan.FromSeconds(1) }));
        Assert.Equal(400, bad.Status);
        Assert.False(string.IsNullOrEmpty(bad.ErrorCode));
        Assert.DoesNotContain(_broker.AgentKey, bad.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAwsCredentials_SendsThePolicyAsAJsonObject()
    {
        await _broker.SetAwsCredentialAsync("aws_main");
        await using var client = NewClient();
        var session = await client.GetAwsCredentialsAsync(new AwsCredentialsRequest
        {
            Credential = "aws_main",
            Task = "report",
            Duration = TimeSpan.FromMinutes(30),
            Policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}""",
        });

        Assert.NotNull(_broker.LastStsPolicy);
        using (var policy = System.Text.Json.JsonDocument.Parse(_broker.LastStsPolicy))
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Object, policy.RootElement.ValueKind);
            Assert.Equal("2012-10-17", policy.RootElement.GetProperty("Version").GetString());
        }

        Assert.Equal(1800, _broker.LastStsDurationSeconds);
        Assert.StartsWith("ASIAFAKE", session.AccessKeyId, StringComparison.Ordinal);
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
    public async Task VerifyInboundKey_MapsTheReason(string state, bool valid, InboundKeyFailure reason)
    {
        await using var client = NewClient();
        var key = await CreateInboundKeyInStateAsync(client, state);

        var result = await client.VerifyInboundKeyAsync(key, "support-agent");
        Assert.Equal(valid, result.IsValid);
        Assert.Equal(reason, result.Reason);
        if (valid)
        {
            Assert.Equal("caller-1", result.Name);
            Assert.Equal("default", result.Tenant);
            Assert.Equal(_broker.KeyIdOf(key), result.KeyId);
        }

        Assert.Equal(InboundKeyFailure.Unknown, (await client.VerifyInboundKeyAsync("brk_nobody", "support-agent")).Reason);

        // Revoked and expired come first; the agent pattern is checked before the rate limit and quota.
        var otherAgent = reason is InboundKeyFailure.Revoked or InboundKeyFailure.Expired ? reason : InboundKeyFailure.Forbidden;
        Assert.Equal(otherAgent, (await client.VerifyInboundKeyAsync(key, "other-agent")).Reason);
    }

    private async Task<string> CreateInboundKeyInStateAsync(BrokerClient client, string state)
    {
        switch (state)
        {
            case "valid":
                return await _broker.CreateInboundKeyAsync("caller-1", "support-agent");
            case "revoked":
                var revoked = await _broker.CreateInboundKeyAsync("caller-1", "support-agent");
                await _broker.RevokeInboundKeyAsync(revoked);
                return revoked;
            case "expired":
                var expiring = await _broker.CreateInboundKeyAsync("caller-1", "support-agent", expiresAt: DateTimeOffset.UtcNow.AddSeconds(2));
                await TestUtil.WaitUntilAsync(async () => (await client.VerifyInboundKeyAsync(expiring, "support-agent")).Reason == InboundKeyFailure.Expired, "the key to expire");
                return expiring;
            case "rate_limited":
            case "quota_exceeded":
                var limited = state == "rate_limited"
                    ? await _broker.CreateInboundKeyAsync("caller-1", "support-agent", rateLimitPerMinute: 1)
                    : await _broker.CreateInboundKeyAsync("caller-1", "support-agent", quotaPerDay: 1);
                Assert.True((await client.VerifyInboundKeyAsync(limited, "support-agent")).IsValid);
                return limited;
            default:
                throw new ArgumentOutOfRangeException(nameof(state));
        }
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
    /// <summary>Against the real <c>src/Broker.Server</c>.</summary>
    public sealed class Real : BrokerClientTests
    {
        private RealBroker Broker => (RealBroker)_broker;

        protected override async Task<ITestBroker> StartBrokerAsync() => await RealBroker.StartNewAsync();

        [Fact]
        public async Task MintToken_IsAnEs256JwtWithTheRequestedTtlScopesAndActor()
        {
            await using var client = NewClient();
            var token = await client.MintTokenAsync(new TokenRequest { Audience = "https://api.example", Task = "t-1", Scopes = ["read", "write"], Ttl = TimeSpan.FromMinutes(2), OnBehalfOf = "alice" });

            var parts = token.Token.Split('.');
            Assert.Equal(3, parts.Length);
            using var header = System.Text.Json.JsonDocument.Parse(Base64Url(parts[0]));
            using var claims = System.Text.Json.JsonDocument.Parse(Base64Url(parts[1]));
            var c = claims.RootElement;
            Assert.Equal("ES256", header.RootElement.GetProperty("alg").GetString());
            Assert.Equal(120, c.GetProperty("exp").GetInt64() - c.GetProperty("iat").GetInt64());
            Assert.Equal("read write", c.GetProperty("scope").GetString());
            Assert.Equal("alice", c.GetProperty("sub").GetString());
            Assert.Equal("test-agent", c.GetProperty("act").GetProperty("sub").GetString());
            Assert.Equal("t-1", c.GetProperty("task_id").GetString());
            Assert.Equal(token.Jti, c.GetProperty("jti").GetString());
        }

        [Fact]
        public async Task Start_WithARevokedAgentKey_ThrowsUnauthorized()
        {
            var (id, key) = await Broker.CreateKeyAsync(new { name = "short-lived-agent", role = "agent", credentials = new[] { "*" } });
            await using (var first = new BrokerClient(Broker.Endpoint, key, TestUtil.FastOptions()))
            {
                await first.StartAsync();
            }

            using (var admin = new HttpClient { BaseAddress = Broker.Endpoint })
            {
                admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", RealBroker.AdminKey);
                (await admin.PostAsync($"v1/keys/{id}/revoke", null)).EnsureSuccessStatusCode();
            }

            await using var second = new BrokerClient(Broker.Endpoint, key, TestUtil.FastOptions());
            var ex = await Assert.ThrowsAsync<BrokerException>(() => second.StartAsync());
            Assert.Equal(401, ex.Status);
            Assert.DoesNotContain(key, ex.ToString(), StringComparison.Ordinal);
        }

        [Fact]
        public async Task KeyCredential_UpdatedAfterRotation_KeepsTheClientWorkingAfterTheOldKeysGraceEnds()
        {
            var (id, key) = await Broker.CreateKeyAsync(new { name = "rotating-agent", role = "agent", credentials = new[] { "*" }, tokens = new { audiences = new[] { "*" } } });
            var credential = new BrokerKeyCredential(key);
            var counter = new RequestCounter();
            var options = TestUtil.FastOptions(longPoll: false);
            options.HttpMessageHandler = counter;
            await using var client = new BrokerClient(Broker.Endpoint, credential, options);
            await using var stale = new BrokerClient(Broker.Endpoint, new BrokerKeyCredential(key), TestUtil.FastOptions(longPoll: false));
            await client.StartAsync();
            await stale.StartAsync();

            var rotated = await Broker.RotateKeyAsync(id, graceSeconds: 1);
            credential.Update(rotated);
            await TestUtil.WaitUntilAsync(async () => await Broker.FeedStatusWithAsync(key) == System.Net.HttpStatusCode.Unauthorized, "the old key's grace to end");

            // Every feed request from here on is sent after the old key stopped working.
            var sentBefore = counter.FeedRequests;
            var changed = TestUtil.NextChangeAsync(client);
            await Broker.SetCredentialAsync("openai_key", "sk-openai-version-two-0002");
            await changed.WithDeadline("the change, read with the new key");
            Assert.True(counter.FeedRequests > sentBefore);
            Assert.Equal("sk-openai-version-two-0002", client.GetCredential("openai_key").Value);
            Assert.False(string.IsNullOrEmpty((await client.MintTokenAsync(new TokenRequest { Audience = "https://api.example", Task = "after-rotation" })).Token));
            await TestUtil.WaitUntilAsync(() => client.Status.LastError is null, "the client's status to be clean");

            // The control: a client still holding the old key is refused once the grace is over.
            await TestUtil.WaitUntilAsync(() => stale.Status.LastError is not null, "the stale client to be refused");
            Assert.Equal("sk-openai-version-one-0001", stale.GetCredential("openai_key").Value);
            var refused = await Assert.ThrowsAsync<BrokerException>(() => stale.MintTokenAsync(new TokenRequest { Audience = "https://api.example", Task = "t" }));
            Assert.Equal(401, refused.Status);
            Assert.DoesNotContain(key, refused.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(key, credential.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(rotated, credential.ToString(), StringComparison.Ordinal);
        }

        [Fact]
        public async Task Refusal_ByAGrant_Is403_WithTheProblemTypeAndTheRuleInTheMessage()
        {
            await _broker.SetCredentialAsync("github_token", "ghp_user_alice_000000001", subject: "alice");
            var (_, key) = await Broker.CreateKeyAsync(new { name = "narrow-agent", role = "agent", credentials = new[] { "openai_*" } });
            await using var client = new BrokerClient(Broker.Endpoint, key, TestUtil.FastOptions());

            var ex = await Assert.ThrowsAsync<BrokerException>(() => client.GetCredentialForSubjectAsync("github_token", "alice"));

            Assert.Equal(403, ex.Status);
            Assert.Equal("urn:broker:problem:forbidden", ex.ErrorCode);
            Assert.Contains("github_token", ex.Message, StringComparison.Ordinal);
            Assert.Contains("pattern", ex.Message, StringComparison.Ordinal);
            Assert.StartsWith("Rule credential_pattern:", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("ghp_user_alice_000000001", ex.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(key, ex.ToString(), StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("https://other.example", null, "token_audience")]
        [InlineData("https://api.example/v1", "payments:write", "token_scope")]
        public async Task MintToken_OutsideTheGrant_Is403_WithTheProblemTypeAndTheRuleInTheMessage(string audience, string? scope, string rule)
        {
            var (_, key) = await Broker.CreateKeyAsync(new
            {
                name = "orders-minter-" + rule, role = "agent", tokens = new { audiences = new[] { "https://api.example/*" }, scopes = new[] { "orders:*" } },
            });
            await using var client = new BrokerClient(Broker.Endpoint, key, TestUtil.FastOptions());
            Assert.NotNull(await client.MintTokenAsync(new TokenRequest { Audience = "https://api.example/v1", Task = "t", Scopes = ["orders:read"] }));

            var ex = await Assert.ThrowsAsync<BrokerException>(() => client.MintTokenAsync(new TokenRequest { Audience = audience, Task = "t", Scopes = scope is null ? [] : [scope] }));

            Assert.Equal(403, ex.Status);
            Assert.Equal("urn:broker:problem:forbidden", ex.ErrorCode);
            Assert.StartsWith($"Rule {rule}:", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(key, ex.ToString(), StringComparison.Ordinal);
        }

        [Fact]
        public async Task AwsCredentials_LongerThanTheGrant_Is403_WithTheRuleInTheMessage()
        {
            await _broker.SetAwsCredentialAsync("aws_granted");
            var (_, key) = await Broker.CreateKeyAsync(new { name = "short-sts-agent", role = "agent", credentials = new[] { "aws_*" }, sts = new { maxDurationSeconds = 900 } });
            await using var client = new BrokerClient(Broker.Endpoint, key, TestUtil.FastOptions());
            var stsCalls = Broker.StsRequests;

            var ex = await Assert.ThrowsAsync<BrokerException>(() => client.GetAwsCredentialsAsync(new AwsCredentialsRequest { Credential = "aws_granted", Task = "t", Duration = TimeSpan.FromHours(1) }));

            Assert.Equal(403, ex.Status);
            Assert.Equal("urn:broker:problem:forbidden", ex.ErrorCode);
            Assert.StartsWith("Rule sts_duration:", ex.Message, StringComparison.Ordinal);
            Assert.Equal(stsCalls, Broker.StsRequests);
        }

        private static byte[] Base64Url(string text)
        {
            var s = text.Replace('-', '+').Replace('_', '/');
            return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
        }
    }

    /// <summary>Against <see cref="FakeBroker"/>: the same behaviour, plus what only the fake can show (what went over the wire).</summary>
    public sealed class Fake : BrokerClientTests
    {
        private FakeBroker Broker => (FakeBroker)_broker;

        protected override async Task<ITestBroker> StartBrokerAsync() => await FakeBroker.StartNewAsync();

        [Fact]
        public async Task MintToken_SendsTtlInSecondsScopesAndOnBehalfOf()
        {
            await using var client = NewClient();
            await client.MintTokenAsync(new TokenRequest { Audience = "https://api.example", Task = "t-1", Scopes = ["read", "write"], Ttl = TimeSpan.FromMinutes(2), OnBehalfOf = "alice" });

            Assert.Equal(120, (int)Broker.LastTokenRequest!["ttlSeconds"]!);
            Assert.Equal("alice", (string)Broker.LastTokenRequest!["onBehalfOf"]!);
            Assert.Equal(2, Broker.LastTokenRequest!["scopes"]!.AsArray().Count);
        }

        [Fact]
        public async Task Refusal_WhoseDetailQuotesAValueOrTheKey_NeverPutsThemInTheException()
        {
            await using var client = NewClient();
            await client.StartAsync();
            Broker.TokenProblemDetail = $"Rule 'no-tokens' refused; value sk-openai-version-one-0001, key {Broker.AgentKey}.";

            var ex = await Assert.ThrowsAsync<BrokerException>(() => client.MintTokenAsync(new TokenRequest { Audience = "a", Task = "t" }));

            Assert.Equal(403, ex.Status);
            Assert.Equal("urn:broker:problem:forbidden", ex.ErrorCode);
            Assert.Equal("Rule 'no-tokens' refused; value [REDACTED:openai_key], key ***.", ex.Message);
            Assert.DoesNotContain("sk-openai-version-one-0001", ex.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(Broker.AgentKey, ex.ToString(), StringComparison.Ordinal);
        }
    }
}
