-- Token signing keys (ES256, P-256); see migrations/sqlite/0004_signing_keys.sql for the meaning of each column.
-- The private key is stored only sealed. Times are Unix milliseconds, UTC.
CREATE TABLE signing_keys (
    kid         text   NOT NULL PRIMARY KEY,
    created_at  bigint NOT NULL,
    retired_at  bigint NULL,
    expires_at  bigint NULL,
    public_jwk  text   NOT NULL,
    ciphertext  bytea  NOT NULL,
    wrapped_key bytea  NOT NULL,
    kek_id      text   NOT NULL,
    CHECK ((retired_at IS NULL) = (expires_at IS NULL))
);

CREATE INDEX ix_signing_keys_expires_at ON signing_keys (expires_at) WHERE expires_at IS NOT NULL;
