using Broker.Core;

namespace Broker.Minting.Signing;

/// <summary>A process-local store for tests and single-process experiments; keys are lost on restart.</summary>
public sealed class InMemorySigningKeyStore : ISigningKeyStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SigningKeyRecord> _keys = new(StringComparer.Ordinal);

    public Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_lock)
        {
            if (!_keys.TryAdd(key.Kid, key))
            {
                throw new BrokerOperationException(BrokerErrorKind.Conflict, "A signing key with this kid already exists.");
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<SigningKeyRecord>>([.. _keys.Values]);
        }
    }

    public Task<bool> TryRetireAsync(string kid, DateTimeOffset retiredAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_keys.TryGetValue(kid, out var key) || key.RetiredAt is not null)
            {
                return Task.FromResult(false);
            }

            _keys[kid] = key with { RetiredAt = retiredAt, ExpiresAt = expiresAt };
            return Task.FromResult(true);
        }
    }

    public Task<bool> RevokeAsync(string kid, DateTimeOffset revokedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_keys.TryGetValue(kid, out var key))
            {
                return Task.FromResult(false);
            }

            _keys[kid] = key with
            {
                RevokedAt = key.RevokedAt ?? revokedAt,
                RetiredAt = key.RetiredAt ?? revokedAt,
                ExpiresAt = key.ExpiresAt ?? expiresAt,
                SealedPrivateKey = key.SealedPrivateKey with { Ciphertext = [] },
            };
            return Task.FromResult(true);
        }
    }

    public Task<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var expired = _keys.Values.Where(k => k.ExpiresAt is { } e && e <= before).Select(k => k.Kid).ToList();
            foreach (var kid in expired)
            {
                _keys.Remove(kid);
            }

            return Task.FromResult(expired.Count);
        }
    }
}
