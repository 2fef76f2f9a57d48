-- Credentials copied from an outside source (Azure Key Vault): where the value comes from and how the last sync
-- went. One row per (tenant, name): a source feeds the shared value. No secret here; times are Unix milliseconds.
CREATE TABLE credential_sources (
    tenant         text   NOT NULL,
    name           text   NOT NULL,
    kind           text   NOT NULL,
    vault_uri      text   NOT NULL,
    secret_name    text   NOT NULL,
    sync_status    text,
    last_synced_at bigint,
    sync_error     text,
    PRIMARY KEY (tenant, name)
);
