-- Provable audit (docs/audit.md, "Signed checkpoints").
-- audit_keys: the audit signing keys (ES256, P-256), apart from the token signing keys. kid is the RFC 7638
-- thumbprint; the private key is stored only sealed, as in signing_keys (ciphertext = nonce || AES-256-GCM(PKCS#8) ||
-- tag, wrapped_key = the data key wrapped by the key-encryption key kek_id, associated data bound to kid). Never
-- deleted: every key that signed a checkpoint stays published. created_at is Unix milliseconds, UTC.
CREATE TABLE audit_keys (
    kid         TEXT    NOT NULL PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    public_jwk  TEXT    NOT NULL,
    ciphertext  BLOB    NOT NULL,
    wrapped_key BLOB    NOT NULL,
    kek_id      TEXT    NOT NULL
) WITHOUT ROWID;

-- audit_checkpoints: the signed heads the checkpoint writer made (also written to the checkpoint file). time is the
-- audit time text that was signed; signature the compact JWS. Append-only like audit_records.
CREATE TABLE audit_checkpoints (
    tenant    TEXT    NOT NULL,
    id        INTEGER NOT NULL,
    hash      TEXT    NOT NULL,
    time      TEXT    NOT NULL,
    kid       TEXT    NOT NULL,
    signature TEXT    NOT NULL,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE TRIGGER tr_audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;

CREATE TRIGGER tr_audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
