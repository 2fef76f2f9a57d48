-- Outbound credentials: one row per (tenant, name, subject) value; subject '' is the shared value.
-- Times are Unix milliseconds (UTC).
CREATE TABLE credentials (
    tenant          TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    labels          TEXT    NOT NULL,
    current_version INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant, name, subject)
) WITHOUT ROWID;

-- Every version's value, sealed under its own data key (wrapped_key) by the key-encryption key kek_id.
CREATE TABLE credential_versions (
    tenant      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    ciphertext  BLOB    NOT NULL,
    wrapped_key BLOB    NOT NULL,
    kek_id      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant, name, subject, version)
) WITHOUT ROWID;

-- The change feed of shared values, per tenant; seq comes from tenant_cursors in the same transaction,
-- so a reader never sees seq N+1 committed before N.
CREATE TABLE tenant_cursors (
    tenant TEXT    NOT NULL PRIMARY KEY,
    seq    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE credential_changes (
    tenant TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    name   TEXT    NOT NULL,
    PRIMARY KEY (tenant, seq)
) WITHOUT ROWID;

-- A sealed known value that proves at start that the configured key-encryption key is the store's.
CREATE TABLE vault_canary (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    ciphertext  BLOB    NOT NULL,
    wrapped_key BLOB    NOT NULL,
    kek_id      TEXT    NOT NULL
);
