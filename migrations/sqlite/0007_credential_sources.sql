-- Credentials copied from an outside source (Azure Key Vault): where the value comes from and how the last sync
-- went. One row per (tenant, name): a source feeds the shared value. No secret here; times are Unix milliseconds.
CREATE TABLE credential_sources (
    tenant         TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    vault_uri      TEXT    NOT NULL,
    secret_name    TEXT    NOT NULL,
    sync_status    TEXT,
    last_synced_at INTEGER,
    sync_error     TEXT,
    PRIMARY KEY (tenant, name)
) WITHOUT ROWID;
