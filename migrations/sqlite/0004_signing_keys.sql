-- Token signing keys (ES256, P-256). kid is the RFC 7638 thumbprint of the public key. The private key is stored
-- only sealed: ciphertext = nonce || AES-256-GCM(PKCS#8) || tag under a fresh data key, wrapped_key is that data key
-- wrapped by the key-encryption key named kek_id, and the associated data binds the ciphertext to kid.
-- public_jwk holds public parameters only. Times are Unix milliseconds, UTC.
-- retired_at: when the key stopped signing (NULL while the newest unretired key signs).
-- expires_at: when every token it signed has expired (retired_at + the longest token lifetime); the key stays in
-- the JWKS until expires_at plus a margin, then the row is deleted.
CREATE TABLE signing_keys (
    kid         TEXT    NOT NULL PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER NULL,
    expires_at  INTEGER NULL,
    public_jwk  TEXT    NOT NULL,
    ciphertext  BLOB    NOT NULL,
    wrapped_key BLOB    NOT NULL,
    kek_id      TEXT    NOT NULL,
    CHECK ((retired_at IS NULL) = (expires_at IS NULL))
) WITHOUT ROWID;

CREATE INDEX ix_signing_keys_expires_at ON signing_keys (expires_at) WHERE expires_at IS NOT NULL;
