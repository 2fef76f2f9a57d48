-- Provable audit; see migrations/sqlite/0008_audit_checkpoints.sql for the meaning of each column. With a separate
-- owner role (ConnectionStrings:BrokerOwner) the runtime role may not UPDATE, DELETE or TRUNCATE audit_records or
-- audit_checkpoints (granted after the migrations, docs/audit.md).
CREATE TABLE audit_keys (
    kid         text   NOT NULL PRIMARY KEY,
    created_at  bigint NOT NULL,
    public_jwk  text   NOT NULL,
    ciphertext  bytea  NOT NULL,
    wrapped_key bytea  NOT NULL,
    kek_id      text   NOT NULL
);

CREATE TABLE audit_checkpoints (
    tenant    text   NOT NULL,
    id        bigint NOT NULL,
    hash      text   NOT NULL,
    time      text   NOT NULL,
    kid       text   NOT NULL,
    signature text   NOT NULL,
    PRIMARY KEY (tenant, id)
);
