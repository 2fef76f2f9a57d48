using System.Buffers.Text;
using System.Security.Cryptography;
using Broker.Core;
using Broker.Vault;

namespace Broker.Minting.Signing;

/// <summary>Generates P-256 signing keys and opens stored ones. The private key exists unsealed only in memory.</summary>
public static class SigningKeyMaterial
{
    private const string Purpose = "broker.signing-key.v1";

    /// <summary>The associated data that binds a sealed private key to its kid: a sealed key moved to another row does not open.</summary>
    public static byte[] AssociatedDataFor(string kid) => AssociatedData.For(Purpose, kid);

    /// <summary>Generates a fresh key; returns the record to store and the key ready to sign.</summary>
    public static (SigningKeyRecord Record, SigningKey Key) Generate(EnvelopeEncryption encryption, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(encryption);
        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var jwk = PublicJwkOf(ecdsa);
            var pkcs8 = ecdsa.ExportPkcs8PrivateKey();
            SealedValue sealedKey;
            try
            {
                sealedKey = encryption.Seal(pkcs8, AssociatedDataFor(jwk.Kid));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pkcs8);
            }

            var record = new SigningKeyRecord(jwk.Kid, now, null, null, jwk.ToJson(), sealedKey);
            return (record, new SigningKey(jwk.Kid, now, ecdsa));
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
    }

    /// <summary>Decrypts a stored key so it can sign.</summary>
    /// <exception cref="BrokerOperationException">Unavailable: the key cannot be decrypted, has no private part, is not P-256, or
    /// does not match its kid.</exception>
    public static SigningKey Open(SigningKeyRecord record, EnvelopeEncryption encryption)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(encryption);
        byte[] pkcs8;
        try
        {
            pkcs8 = encryption.Open(record.SealedPrivateKey, AssociatedDataFor(record.Kid));
        }
        catch (Exception ex) when (ex is KeyEncryptionKeyException or CryptographicException)
        {
            throw new BrokerOperationException(BrokerErrorKind.Unavailable,
                $"Signing key '{record.Kid}' cannot be decrypted (missing or different key-encryption key, or the stored key was altered).", ex);
        }

        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
            var parameters = ecdsa.ExportParameters(includePrivateParameters: true);
            var hasPrivatePart = parameters.D is { Length: > 0 };
            if (parameters.D is not null)
            {
                CryptographicOperations.ZeroMemory(parameters.D);
            }

            // Refuse a key that cannot sign: publishing a kid we cannot sign with, or signing with a key whose
            // public half is not the one published, would both break validators.
            if (!hasPrivatePart || ecdsa.KeySize != 256 || PublicJwkOf(ecdsa).Kid != record.Kid)
            {
                throw new BrokerOperationException(BrokerErrorKind.Unavailable, $"Signing key '{record.Kid}' is not a P-256 private key matching its kid.");
            }

            return new SigningKey(record.Kid, record.CreatedAt, ecdsa);
        }
        catch (CryptographicException ex)
        {
            ecdsa.Dispose();
            throw new BrokerOperationException(BrokerErrorKind.Unavailable, $"Signing key '{record.Kid}' is malformed.", ex);
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

    /// <summary>The public JWK of a key; only Q is exported.</summary>
    public static PublicJwk PublicJwkOf(ECDsa ecdsa)
    {
        ArgumentNullException.ThrowIfNull(ecdsa);
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        if (parameters.Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value && parameters.Curve.Oid?.FriendlyName != "nistP256")
        {
            throw new BrokerOperationException(BrokerErrorKind.Unavailable, "Signing keys must be on curve P-256.");
        }

        var x = Base64Url.EncodeToString(parameters.Q.X);
        var y = Base64Url.EncodeToString(parameters.Q.Y);
        return new PublicJwk(JwkThumbprint.ForEcKey(PublicJwk.Curve, x, y), x, y);
    }
}
