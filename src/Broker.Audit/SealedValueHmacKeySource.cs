using System.Security.Cryptography;
using Broker.Core;
using Broker.Vault;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Audit;

/// <summary>
/// The value-HMAC key kept in the store (<see cref="IAuditSealedKeyStore"/>, name <see cref="KeyName"/>), sealed by the
/// vault's envelope encryption like every other stored key. Every replica uses the one stored key, and <c>rewrap</c>
/// carries it to a new key-encryption key, so neither a second replica nor a master-key rotation changes the HMAC of a
/// value: "was this secret read?" keeps finding reads made before either.
/// </summary>
/// <remarks>
/// <para>
/// The first start creates the key: the earlier key from <see cref="IValueHmacKeySeed"/> when there was one (so the
/// records already written stay findable), else 32 random bytes. Replicas racing to create it all take the one stored
/// first.
/// </para>
/// <para>
/// Loaded by <see cref="InitializeAsync"/> at start. When it could not be then (the key-encryption key was not
/// available), the first use loads it (<see cref="LoadAsync"/>, which <see cref="AuditValueHmac"/>'s callers await);
/// until then a read is refused with <see cref="BrokerErrorKind.Unavailable"/> rather than recorded without its HMAC,
/// and <see cref="GetKey"/>, called anyway, fails the same way and starts another attempt in the background: the broker
/// recovers on its own.
/// </para>
/// </remarks>
public sealed partial class SealedValueHmacKeySource : IValueHmacKeySource, IDisposable
{
    /// <summary>The name of the value-HMAC key in <see cref="IAuditSealedKeyStore"/>.</summary>
    public const string KeyName = "value-hmac";

    private const string Purpose = "broker.audit.sealed-key.v1";

    private readonly IAuditSealedKeyStore _store;
    private readonly EnvelopeEncryption _encryption;
    private readonly IValueHmacKeySeed? _seed;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _retryLock = new();
    private byte[]? _key;
    private Task? _retry;

    public SealedValueHmacKeySource(
        IAuditSealedKeyStore store,
        EnvelopeEncryption encryption,
        TimeProvider time,
        IValueHmacKeySeed? seed = null,
        ILogger<SealedValueHmacKeySource>? logger = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _encryption = encryption ?? throw new ArgumentNullException(nameof(encryption));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _seed = seed;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public bool IsLoaded => Volatile.Read(ref _key) is not null;

    /// <inheritdoc />
    public async ValueTask LoadAsync(CancellationToken cancellationToken = default)
    {
        if (IsLoaded)
        {
            return;
        }

        try
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (KeyEncryptionKeyUnavailableException ex)
        {
            throw new BrokerOperationException(BrokerErrorKind.Unavailable,
                "The audit's value-HMAC key cannot be opened now: the key-encryption key is unavailable.", ex);
        }
    }

    /// <inheritdoc />
    /// <exception cref="BrokerOperationException">Unavailable: the key is not loaded yet (another attempt has started).</exception>
    public ReadOnlySpan<byte> GetKey()
    {
        if (Volatile.Read(ref _key) is { } key)
        {
            return key;
        }

        RetryInBackground();
        throw new BrokerOperationException(BrokerErrorKind.Unavailable,
            "The audit's value-HMAC key is not loaded yet (the store or the key-encryption key is unavailable); try again shortly.");
    }

    /// <summary>Loads the stored key, creating it first when the store has none.</summary>
    /// <exception cref="BrokerOperationException">Unavailable: the stored key cannot be opened (another key-encryption key, or it was altered).</exception>
    /// <exception cref="KeyEncryptionKeyUnavailableException">The key-encryption key cannot be fetched.</exception>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (IsLoaded)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsLoaded)
            {
                return;
            }

            var stored = await _store.GetSealedKeyAsync(KeyName, cancellationToken).ConfigureAwait(false)
                ?? await CreateAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _key, Open(stored));
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _key, null) is { } key)
        {
            CryptographicOperations.ZeroMemory(key);
        }

        _gate.Dispose();
    }

    private async Task<SealedValue> CreateAsync(CancellationToken cancellationToken)
    {
        var seed = _seed?.GetSeed();
        var key = seed ?? RandomNumberGenerator.GetBytes(32);
        try
        {
            if (key.Length < StaticValueHmacKeySource.MinKeyBytes)
            {
                throw new BrokerOperationException(BrokerErrorKind.Unavailable, "The earlier value-HMAC key is shorter than 32 bytes.");
            }

            var mine = _encryption.Seal(key, AssociatedData.For(Purpose, KeyName));
            var stored = await _store.AddSealedKeyAsync(KeyName, mine, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            if (stored.Ciphertext.AsSpan().SequenceEqual(mine.Ciphertext))
            {
                LogCreated(_logger, seed is null ? "random" : "the earlier key, so records written before stay findable by value");
            }

            return stored;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private byte[] Open(SealedValue stored)
    {
        byte[] key;
        try
        {
            key = _encryption.Open(stored, AssociatedData.For(Purpose, KeyName));
        }
        catch (Exception ex) when (ex is KeyEncryptionKeyException or CryptographicException)
        {
            throw new BrokerOperationException(BrokerErrorKind.Unavailable,
                "The audit's value-HMAC key cannot be decrypted (missing or different key-encryption key, or the stored key was altered).", ex);
        }

        if (key.Length < StaticValueHmacKeySource.MinKeyBytes)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new BrokerOperationException(BrokerErrorKind.Unavailable, "The stored value-HMAC key is shorter than 32 bytes.");
        }

        return key;
    }

    private void RetryInBackground()
    {
        lock (_retryLock)
        {
            if (_retry is { IsCompleted: false })
            {
                return;
            }

            _retry = Task.Run(async () =>
            {
                try
                {
                    await InitializeAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // Our exceptions' messages are written to be shown; of anything else, only its type.
                    LogLoadFailed(_logger, ex is BrokerOperationException or KeyEncryptionKeyException or KeyEncryptionKeyUnavailableException ? ex.Message : ex.GetType().Name);
                }
            });
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Audit value-HMAC key created in the store from {Origin}.")]
    private static partial void LogCreated(ILogger logger, string origin);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "Audit value-HMAC key not loaded: {Problem}. Reads are refused until it is.")]
    private static partial void LogLoadFailed(ILogger logger, string problem);
}
