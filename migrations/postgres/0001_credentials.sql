-- Outbound credentials: one row per (tenant, name, subject) value; subject '' is the shared value.
-- Times are Unix milliseconds (UTC), as in the SQLite store.
CREATE TABLE credentials (
    tenant          text   NOT NULL,
    name            text   NOT NULL,
    subject         text   NOT NULL,
    kind            text   NOT NULL,
    labels          text   NOT NULL,
    current_version bigint NOT NULL,
    created_at      bigint NOT NULL,
    updated_at      bigint NOT NULL,
    PRIMARY KEY (tenant, name, subject)
);

-- Every version's value, sealed under its own data key (wrapped_key) by the key-encryption key kek_id.
CREATE TABLE credential_versions (
    tenant      text   NOT NULL,
    name        text   NOT NULL,
    subject     text   NOT NULL,
    version     bigint NOT NULL,
    ciphertext  bytea  NOT NULL,
    wrapped_key bytea  NOT NULL,
    kek_id      text   NOT NULL,
    created_at  bigint NOT NULL,
    PRIMARY KEY (tenant, name, subject, version)
);

-- The change feed of shared values, per tenant. seq comes from the tenant's row in tenant_cursors, updated in the
-- writing transaction: the row lock orders writers of a tenant, so seq N+1 can never commit before N and a reader
-- that saw cursor N has seen every change up to N (a sequence would hand out numbers in start order, not commit order).
CREATE TABLE tenant_cursors (
    tenant text   NOT NULL PRIMARY KEY,
    seq    bigint NOT NULL
);

CREATE TABLE credential_changes (
    tenant text   NOT NULL,
    seq    bigint NOT NULL,
    name   text   NOT NULL,
    PRIMARY KEY (tenant, seq)
);

-- A sealed known value that proves at start that the configured key-encryption key is the store's.
CREATE TABLE vault_canary (
    id          integer NOT NULL PRIMARY KEY CHECK (id = 1),
    ciphertext  bytea   NOT NULL,
    wrapped_key bytea   NOT NULL,
    kek_id      text    NOT NULL
);
