using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Broker.Core;
using Broker.Keys;

namespace Broker.Keys.Benchmarks;

/// <summary>
/// The key-authentication hot path for a valid cached key, against the floor it cannot beat:
/// SHA-256 of the presented key plus a dictionary lookup.
/// </summary>
[MemoryDiagnoser]
public class KeyAuthenticationBenchmarks
{
    private readonly ConcurrentDictionary<string, ApiKeyRecord> _baseline = new(StringComparer.Ordinal);
    private KeyAuthenticator _authenticator = null!;
    private string _secret = null!;

    [GlobalSetup]
    public void Setup()
    {
        var store = new OneKeyStore();
        _secret = KeySecrets.NewSecret();
        store.Add(_secret);
        _authenticator = new KeyAuthenticator(store, TimeProvider.System);
        _authenticator.CheckAsync(_secret).AsTask().GetAwaiter().GetResult();
        _baseline[Convert.ToHexString(KeySecrets.Hash(_secret))] = store.Key!;
    }

    [Benchmark(Baseline = true, Description = "SHA-256 + ConcurrentDictionary (floor)")]
    public ApiKeyRecord? HashAndDictionary()
    {
        Span<byte> utf8 = stackalloc byte[64];
        var count = Encoding.UTF8.GetBytes(_secret, utf8);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(utf8[..count], hash);
        return _baseline.TryGetValue(Convert.ToHexString(hash), out var key) ? key : null;
    }

    [Benchmark(Description = "KeyAuthenticator.CheckAsync (cached, valid)")]
    public KeyCheck Authenticate() => _authenticator.CheckAsync(_secret).GetAwaiter().GetResult();

    private sealed class OneKeyStore : IKeyStore
    {
        private byte[] _hash = [];

        public ApiKeyRecord? Key { get; private set; }

        public void Add(string secret)
        {
            _hash = KeySecrets.Hash(secret);
            Key = new ApiKeyRecord("key_1", "default", "agent", Role.Agent, KeySecrets.PrefixOf(secret), ["*"], [], null, null, DateTimeOffset.UtcNow, null, null, null, false);
        }

        public Task<bool> AnyAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);

        public Task InsertAsync(ApiKeyRecord key, byte[] secretHash, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<KeyHashMatch?> FindByHashAsync(byte[] secretHash, CancellationToken cancellationToken = default) =>
            Task.FromResult(secretHash.AsSpan().SequenceEqual(_hash) ? new KeyHashMatch(Key!, null) : null);

        public Task<ApiKeyRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken = default) => Task.FromResult(Key);

        public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string tenant, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<ApiKeyRecord>>([Key!]);

        public Task<ApiKeyRecord?> RevokeAsync(string tenant, string id, DateTimeOffset now, CancellationToken cancellationToken = default) => Task.FromResult(Key);

        public Task<ApiKeyRecord?> RotateAsync(string tenant, string id, byte[] newSecretHash, string newPrefix, DateTimeOffset now, DateTimeOffset? previousSecretsExpireAt, CancellationToken cancellationToken = default) => Task.FromResult(Key);

        public Task<ApiKeyRecord?> FindBootstrapAsync(byte[] secretHash, CancellationToken cancellationToken = default) => Task.FromResult<ApiKeyRecord?>(null);

        public Task<IReadOnlyList<string>> RevokeBootstrapKeysBeforeAsync(ApiKeyRecord keep, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<string>>([]);

        public Task TouchAsync(IReadOnlyCollection<KeyValuePair<string, DateTimeOffset>> lastUsed, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<(IReadOnlyList<string> KeyIds, long Sequence)> GetKeyEventsAsync(long sinceSequence, CancellationToken cancellationToken = default) =>
            Task.FromResult<(IReadOnlyList<string>, long)>(([], sinceSequence));
    }
}
