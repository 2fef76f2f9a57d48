-- Inbound keys. No secret is stored: key_secrets holds SHA-256 hashes of the current secret and of
-- previous ones still inside a rotation's grace period (expires_at).
CREATE TABLE api_keys (
    id                    TEXT    NOT NULL PRIMARY KEY,
    tenant                TEXT    NOT NULL,
    name                  TEXT    NOT NULL,
    role                  TEXT    NOT NULL,
    prefix                TEXT    NOT NULL,
    credential_patterns   TEXT    NOT NULL,
    agent_patterns        TEXT    NOT NULL,
    rate_limit_per_minute INTEGER NULL,
    quota_per_day         INTEGER NULL,
    created_at            INTEGER NOT NULL,
    expires_at            INTEGER NULL,
    revoked_at            INTEGER NULL,
    last_used_at          INTEGER NULL,
    is_bootstrap          INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE INDEX ix_api_keys_tenant ON api_keys (tenant, created_at);

CREATE TABLE key_secrets (
    hash       BLOB    NOT NULL PRIMARY KEY,
    key_id     TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    expires_at INTEGER NULL
) WITHOUT ROWID;

CREATE INDEX ix_key_secrets_key ON key_secrets (key_id);

-- Revocations and rotations, in order: replicas read it to drop cached keys.
CREATE TABLE key_events (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id TEXT    NOT NULL,
    at     INTEGER NOT NULL
);
