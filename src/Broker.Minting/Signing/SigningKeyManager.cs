using Broker.Core;
using Broker.Minting.Tokens;
using Broker.Vault;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Broker.Minting.Signing;

/// <summary>
/// Owns the signing key set: creates the first key, rotates on schedule and on demand, retires the previous key,
/// keeps retired public keys published until every token they signed has expired, then drops them.
/// </summary>
/// <remarks>
/// <para>
/// Several replicas may share one <see cref="ISigningKeyStore"/>. The store is the only truth; each replica keeps an
/// immutable <see cref="SigningKeySnapshot"/> that it swaps whole and reloads (a) when it is older than
/// <see cref="SigningOptions.RefreshInterval"/>, (b) when the current key is due for rotation, (c) when a retired key
/// is due to leave the JWKS, and (d) on <see cref="RefreshAsync"/> (call it when a kid is unknown, e.g. after another
/// replica rotated). The check is made on every <see cref="GetSnapshotAsync"/> against the clock, so a replica never
/// signs with a snapshot older than the refresh interval, idle or not.
/// </para>
/// <para>
/// Replicas agree without a lock: the newest unretired key (by creation time, then kid) signs, and every replica
/// retires each older unretired key with a compare-and-set. Two replicas rotating at once both add a key; both then
/// pick the same newest one and retire the other, which stays published like any retired key. A key is never
/// retired by a replica that chose it, so some key always remains current.
/// </para>
/// <para>
/// Retirement bound: a key retired at <c>R</c> may still sign on a replica that has not reloaded yet, at most until
/// <c>R + RefreshInterval</c>; its tokens live at most <see cref="TokenLimits.MaxTtlSeconds"/>. It stays published until
/// <c>R + MaxTtl + RetirementMargin</c>, and the options require <c>RetirementMargin &gt; RefreshInterval</c>.
/// </para>
/// <para>
/// Retiring at once (<see cref="RetireNowAsync"/>, a compromised key) skips all of that: the key leaves this replica's
/// JWKS before the call returns and is never trusted again. Other replicas drop it when told (<see cref="Invalidate"/>,
/// a database notification) and at the latest when their view is <see cref="SigningOptions.RefreshInterval"/> old.
/// </para>
/// </remarks>
public sealed class SigningKeyManager : IDisposable
{
    /// <summary>How long a token signed just before retirement may still be valid.</summary>
    public static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromSeconds(TokenLimits.MaxTtlSeconds);

    private readonly ISigningKeyStore _store;
    private readonly EnvelopeEncryption _encryption;
    private readonly SigningOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SigningKeyManager> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SigningKeySnapshot? _snapshot;

    // 1 when another replica changed the key set in a way that cannot wait for the refresh interval (a key retired at
    // once): the next GetSnapshotAsync reloads.
    private int _stale;

    public SigningKeyManager(
        ISigningKeyStore store,
        EnvelopeEncryption encryption,
        IOptions<SigningOptions> options,
        TimeProvider time,
        ILogger<SigningKeyManager> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _encryption = encryption ?? throw new ArgumentNullException(nameof(encryption));
        _options = options.Value;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        if (_options.Validate() is { } problem)
        {
            throw new OptionsValidationException(SigningOptions.SectionName, typeof(SigningOptions), [problem]);
        }
    }

    /// <summary>The current view of the key set, reloaded from the store when due. Allocation-free on the hot path.</summary>
    /// <exception cref="BrokerOperationException">Unavailable: the store or the key-encryption key cannot be used.</exception>
    public ValueTask<SigningKeySnapshot> GetSnapshotAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && Volatile.Read(ref _stale) == 0 && _time.GetUtcNow() < snapshot.NextChangeAt)
        {
            return new ValueTask<SigningKeySnapshot>(snapshot);
        }

        return new ValueTask<SigningKeySnapshot>(ReloadAsync(rotate: false, force: false, cancellationToken));
    }

    /// <summary>
    /// Whether a token signed with <paramref name="kid"/> may still be trusted: the kid is the current key or a retired
    /// key still published. A key retired at once, dropped, or never seen is not. The JWKS is built from the same view.
    /// </summary>
    /// <exception cref="BrokerOperationException">Unavailable: the store or the key-encryption key cannot be used.</exception>
    public async ValueTask<bool> IsTrustedAsync(string kid, CancellationToken cancellationToken = default)
    {
        var snapshot = await GetSnapshotAsync(cancellationToken).ConfigureAwait(false);
        return snapshot.Trusts(kid);
    }

    /// <summary>
    /// Marks this replica's view stale, so the next use reloads it from the store. Call it when another replica
    /// changed the key set in a way that must not wait for <see cref="SigningOptions.RefreshInterval"/> (it retired a
    /// key at once). Cheap and thread-safe.
    /// </summary>
    public void Invalidate() => Volatile.Write(ref _stale, 1);

    /// <summary>
    /// Retires a key at once (a compromised key): when this returns it is durably revoked, its private key erased, and
    /// it is gone from this replica's JWKS and trust. When it was the current key, a new current key is created first,
    /// so some key always signs. Idempotent.
    /// </summary>
    /// <returns>The new view, or null when the store has no key with this kid.</returns>
    /// <exception cref="BrokerOperationException">Unavailable: the store or the key-encryption key cannot be used.</exception>
    public async Task<SigningKeySnapshot?> RetireNowAsync(string kid, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kid);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var done = false;
        try
        {
            var now = _time.GetUtcNow();
            var records = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
            var target = records.FirstOrDefault(r => string.Equals(r.Kid, kid, StringComparison.Ordinal));
            if (target is null)
            {
                done = true;
                return null;
            }

            if (target.RevokedAt is null)
            {
                if (NewestActive(records)?.Kid == kid)
                {
                    await AddKeyAsync(records, now, "replaces a key retired at once", cancellationToken).ConfigureAwait(false);
                }

                await _store.RevokeAsync(kid, now, now + MaxTokenLifetime, cancellationToken).ConfigureAwait(false);
                _logger.LogWarning("Signing key {Kid} retired at once: it is no longer published or trusted.", kid);
            }

            if (_opened?.Kid == kid)
            {
                _opened = null;
            }

            Volatile.Write(ref _stale, 0);
            var snapshot = await LoadAsync(rotate: false, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _snapshot, snapshot);
            done = true;
            return snapshot;
        }
        catch (Exception ex) when (ex is not BrokerOperationException and not OperationCanceledException)
        {
            _logger.LogError(ex, "Retiring signing key {Kid} failed.", kid);
            throw new BrokerOperationException(BrokerErrorKind.Unavailable, "The signing keys are unavailable.", ex);
        }
        finally
        {
            // Whatever failed, the key may be revoked in the store by now: the old view must not be served again.
            if (!done)
            {
                Volatile.Write(ref _stale, 1);
            }

            _gate.Release();
        }
    }

    /// <summary>Rotates now (the admin "rotate now"): a new key signs from now on; the previous one is retired but stays published.</summary>
    /// <returns>The new view; its <see cref="SigningKeySnapshot.Current"/> is the new key.</returns>
    public Task<SigningKeySnapshot> RotateAsync(CancellationToken cancellationToken = default) =>
        ReloadAsync(rotate: true, force: true, cancellationToken);

    /// <summary>Reloads from the store now, e.g. after seeing a kid this replica does not know.</summary>
    public Task<SigningKeySnapshot> RefreshAsync(CancellationToken cancellationToken = default) =>
        ReloadAsync(rotate: false, force: true, cancellationToken);

    public void Dispose() => _gate.Dispose();

    private async Task<SigningKeySnapshot> ReloadAsync(bool rotate, bool force, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another caller may have reloaded while this one waited.
            var existing = _snapshot;
            if (!force && existing is not null && Volatile.Read(ref _stale) == 0 && _time.GetUtcNow() < existing.NextChangeAt)
            {
                return existing;
            }

            // Cleared before the read, so a notification that arrives during it asks for another reload.
            var wasStale = Interlocked.Exchange(ref _stale, 0);
            try
            {
                var snapshot = await LoadAsync(rotate, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _snapshot, snapshot);
                return snapshot;
            }
            catch when (wasStale != 0)
            {
                // The old view may still publish a key retired at once: never fall back to it.
                Volatile.Write(ref _stale, 1);
                throw;
            }
        }
        catch (Exception ex) when (ex is not BrokerOperationException and not OperationCanceledException)
        {
            // Fail closed: never keep signing from a view that may be staler than the retirement bound allows.
            _logger.LogError(ex, "The signing keys could not be loaded from the store.");
            throw new BrokerOperationException(BrokerErrorKind.Unavailable, "The signing keys are unavailable.", ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<SigningKeySnapshot> LoadAsync(bool rotate, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var records = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
        var newest = NewestActive(records);
        if (rotate || newest is null || now >= newest.CreatedAt + _options.RotationInterval)
        {
            await AddKeyAsync(records, now, rotate ? "rotate now" : newest is null ? "no key" : "scheduled rotation", cancellationToken).ConfigureAwait(false);
            records = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
        }

        // Converge: retire every unretired key but the newest, re-reading until the view is stable (another replica
        // may add or retire keys meanwhile). Each pass retires at least one key or ends.
        for (var pass = 0; ; pass++)
        {
            newest = NewestActive(records)
                ?? throw new BrokerOperationException(BrokerErrorKind.Unavailable, "No signing key is current; the store changed while loading.");
            var older = records.Where(r => r.RetiredAt is null && r.Kid != newest.Kid).ToList();
            if (older.Count == 0 || pass == 3)
            {
                break;
            }

            foreach (var key in older)
            {
                if (await _store.TryRetireAsync(key.Kid, now, now + MaxTokenLifetime, cancellationToken).ConfigureAwait(false))
                {
                    _logger.LogInformation("Signing key {Kid} retired; published until its tokens expire.", key.Kid);
                }
            }

            records = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
        }

        var margin = _options.RetirementMargin;
        if (records.Any(r => r.RetiredAt is not null && PublishedUntil(r) <= now))
        {
            var dropped = await _store.DeleteExpiredAsync(now - margin, cancellationToken).ConfigureAwait(false);
            if (dropped > 0)
            {
                _logger.LogInformation("{Count} retired signing key(s) dropped: every token they signed has expired.", dropped);
            }
        }

        var current = _opened is { } opened && opened.Kid == newest.Kid ? opened : SigningKeyMaterial.Open(newest, _encryption);
        _opened = current;

        var published = new List<PublicJwk> { ParsePublic(newest) };
        var nextChange = Min(now + _options.RefreshInterval, newest.CreatedAt + _options.RotationInterval);
        foreach (var retired in records.Where(r => r.RetiredAt is not null && IsTrusted(r)).OrderByDescending(r => r.RetiredAt))
        {
            var until = PublishedUntil(retired);
            if (until > now)
            {
                published.Add(ParsePublic(retired));
                nextChange = Min(nextChange, until);
            }
        }

        return new SigningKeySnapshot(current, published, now, nextChange);
    }

    private SigningKey? _opened;

    /// <summary>A key retired at once is never trusted again (neither published nor used to sign).</summary>
    private static bool IsTrusted(SigningKeyRecord key) => key.RevokedAt is null;

    private async Task AddKeyAsync(IReadOnlyList<SigningKeyRecord> records, DateTimeOffset now, string reason, CancellationToken cancellationToken)
    {
        // The new key must sort after every existing one or a replica could pick the old key as newest: creation
        // times are whole milliseconds (what every store keeps) and strictly increase even when the clock does not.
        var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        foreach (var existing in records)
        {
            if (existing.CreatedAt >= createdAt)
            {
                createdAt = existing.CreatedAt.AddMilliseconds(1);
            }
        }

        var (record, key) = SigningKeyMaterial.Generate(_encryption, createdAt);
        await _store.AddAsync(record, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Signing key {Kid} created ({Reason}).", record.Kid, reason);
        _opened = key;
    }

    private DateTimeOffset PublishedUntil(SigningKeyRecord key) =>
        (key.ExpiresAt ?? key.RetiredAt!.Value + MaxTokenLifetime) + _options.RetirementMargin;

    private static SigningKeyRecord? NewestActive(IReadOnlyList<SigningKeyRecord> records)
    {
        SigningKeyRecord? newest = null;
        foreach (var record in records)
        {
            if (record.RetiredAt is null && IsTrusted(record)
                && (newest is null
                    || record.CreatedAt > newest.CreatedAt
                    || (record.CreatedAt == newest.CreatedAt && string.CompareOrdinal(record.Kid, newest.Kid) > 0)))
            {
                newest = record;
            }
        }

        return newest;
    }

    private static PublicJwk ParsePublic(SigningKeyRecord record)
    {
        try
        {
            var jwk = PublicJwk.Parse(record.PublicJwk);
            return jwk.Kid == record.Kid
                ? jwk
                : throw new BrokerOperationException(BrokerErrorKind.Unavailable, $"Signing key '{record.Kid}' has a public JWK of another key.");
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            throw new BrokerOperationException(BrokerErrorKind.Unavailable, $"Signing key '{record.Kid}' has a malformed public JWK.", ex);
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
