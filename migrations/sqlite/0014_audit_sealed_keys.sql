-- audit_sealed_keys: the audit's secret keys that are never published (today one row, name 'value-hmac': the key of
-- the value HMAC that answers "was this secret read?", docs/audit.md "Value reads"). Sealed like audit_keys
-- (ciphertext = nonce || AES-256-GCM(key) || tag, wrapped_key = the data key wrapped by the key-encryption key kek_id,
-- associated data bound to name), so every replica uses the same key and `rewrap` carries it to a new key-encryption
-- key: a master-key rotation no longer changes the HMAC of a value. Written once per name, never deleted.
-- created_at is Unix milliseconds, UTC.
CREATE TABLE audit_sealed_keys (
    name        TEXT    NOT NULL PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    ciphertext  BLOB    NOT NULL,
    wrapped_key BLOB    NOT NULL,
    kek_id      TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER tr_audit_sealed_keys_no_delete BEFORE DELETE ON audit_sealed_keys
BEGIN
    SELECT RAISE(ABORT, 'audit_sealed_keys is never deleted from');
END;
