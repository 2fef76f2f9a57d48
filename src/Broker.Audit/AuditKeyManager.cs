using System.Security.Cryptography;
using Broker.Core;
using Broker.Vault;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Audit;

/// <summary>
/// The audit signing keys: ES256 (P-256), kid = RFC 7638 thumbprint, distinct from the token signing keys so that
/// rotating or revoking those never touches what old checkpoints are verified with. The first use creates a key when
/// the store has none; the newest key (by creation time, then kid) signs, and every stored key is published. The
/// private key is sealed by the vault's envelope encryption (associated data <c>broker.audit-key.v1 | kid</c>) and
/// exists unsealed only in memory.
/// </summary>
/// <remarks>
/// Replicas share the store: two starting at once may each create a key; both are published and both pick the same
/// newest one to sign. The published set is re-read every <see cref="RefreshInterval"/> and when a checkpoint names
/// an unknown kid.
/// </remarks>
public sealed partial class AuditKeyManager : IDisposable
{
    private const string Purpose = "broker.audit-key.v1";
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);

    private readonly IAuditKeyStore _store;
    private readonly EnvelopeEncryption _encryption;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _signLock = new();
    private State? _state;

    public AuditKeyManager(IAuditKeyStore store, EnvelopeEncryption encryption, TimeProvider time, ILogger<AuditKeyManager>? logger = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _encryption = encryption ?? throw new ArgumentNullException(nameof(encryption));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Signs the head <paramref name="head"/> of <paramref name="tenant"/>'s chain with the current audit key, at the current time.</summary>
    /// <exception cref="BrokerOperationException">Unavailable: the store or the key-encryption key cannot be used.</exception>
    public async Task<AuditCheckpoint> SignAsync(string tenant, AuditChainHead head, CancellationToken cancellationToken = default)
    {
        var state = await GetStateAsync(refresh: false, cancellationToken).ConfigureAwait(false);
        lock (_signLock)
        {
            return AuditCheckpointSigner.Sign(state.Signer, state.SignerKid, tenant, head, _time.GetUtcNow());
        }
    }

    /// <summary>Every audit public key (the JWKS), retired ones included.</summary>
    /// <param name="refresh">Re-read the store first (a checkpoint names a kid this replica does not know yet).</param>
    public async Task<IReadOnlyList<AuditPublicKey>> GetPublicKeysAsync(bool refresh = false, CancellationToken cancellationToken = default) =>
        (await GetStateAsync(refresh, cancellationToken).ConfigureAwait(false)).Published;

    /// <summary>Loads (creating the first key if needed); call at start so that a missing key-encryption key shows early.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken = default) => GetStateAsync(refresh: false, cancellationToken);

    public void Dispose()
    {
        _state?.Signer.Dispose();
        _gate.Dispose();
    }

    private async Task<State> GetStateAsync(bool refresh, CancellationToken cancellationToken)
    {
        var state = Volatile.Read(ref _state);
        if (state is not null && !refresh && _time.GetUtcNow() - state.LoadedAt < RefreshInterval)
        {
            return state;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_state is { } fresh && fresh != state && !refresh)
            {
                return fresh;
            }

            var records = await _store.ListKeysAsync(cancellationToken).ConfigureAwait(false);
            if (records.Count == 0)
            {
                await CreateAsync(cancellationToken).ConfigureAwait(false);
                records = await _store.ListKeysAsync(cancellationToken).ConfigureAwait(false);
            }

            var newest = records.OrderBy(r => r.CreatedAt).ThenBy(r => r.Kid, StringComparer.Ordinal).Last();
            var published = records.Select(ParsePublic).Reverse().ToArray();
            var previous = _state;
            var signer = previous is not null && previous.SignerKid == newest.Kid ? previous.Signer : Open(newest);
            var next = new State(newest.Kid, signer, published, _time.GetUtcNow());
            // A replaced signer is left to the finalizer: a SignAsync that read the previous state may still use it.
            Volatile.Write(ref _state, next);
            return next;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = AuditPublicKey.Of(ecdsa);
        var pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        SealedValue sealedKey;
        try
        {
            sealedKey = _encryption.Seal(pkcs8, AssociatedData.For(Purpose, jwk.Kid));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }

        var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());
        try
        {
            await _store.AddKeyAsync(new AuditKeyRecord(jwk.Kid, createdAt, jwk.ToJson(), sealedKey), cancellationToken).ConfigureAwait(false);
            LogCreated(_logger, jwk.Kid);
        }
        catch (BrokerOperationException ex) when (ex.Kind == BrokerErrorKind.Conflict)
        {
            // Same kid: only a random collision could cause it; the re-read picks whatever is there.
        }
    }

    private ECDsa Open(AuditKeyRecord record)
    {
        byte[] pkcs8;
        try
        {
            pkcs8 = _encryption.Open(record.SealedPrivateKey, AssociatedData.For(Purpose, record.Kid));
        }
        catch (Exception ex) when (ex is KeyEncryptionKeyException or CryptographicException)
        {
            throw new BrokerOperationException(BrokerErrorKind.Unavailable,
                $"Audit key '{record.Kid}' cannot be decrypted (missing or different key-encryption key, or the stored key was altered).", ex);
        }

        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
            if (ecdsa.KeySize != 256 || AuditPublicKey.Of(ecdsa).Kid != record.Kid)
            {
                throw new BrokerOperationException(BrokerErrorKind.Unavailable, $"Audit key '{record.Kid}' is not a P-256 key matching its kid.");
            }

            return ecdsa;
        }
        catch (CryptographicException ex)
        {
            ecdsa.Dispose();
            throw new BrokerOperationException(BrokerErrorKind.Unavailable, $"Audit key '{record.Kid}' is malformed.", ex);
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static AuditPublicKey ParsePublic(AuditKeyRecord record)
    {
        try
        {
            var key = AuditPublicKey.Parse(record.PublicJwk);
            return key.Kid == record.Kid ? key : throw new FormatException("kid");
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            throw new BrokerOperationException(BrokerErrorKind.Unavailable, $"Audit key '{record.Kid}' has a malformed public JWK.", ex);
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Audit signing key {Kid} created.")]
    private static partial void LogCreated(ILogger logger, string kid);

    private sealed record State(string SignerKid, ECDsa Signer, IReadOnlyList<AuditPublicKey> Published, DateTimeOffset LoadedAt);
}
