-- See migrations/sqlite/0014_audit_sealed_keys.sql for the meaning of each column. With a separate owner role the
-- runtime role may not DELETE or TRUNCATE it (granted after the migrations); `rewrap` UPDATEs wrapped_key and kek_id.
CREATE TABLE audit_sealed_keys (
    name        text   NOT NULL PRIMARY KEY,
    created_at  bigint NOT NULL,
    ciphertext  bytea  NOT NULL,
    wrapped_key bytea  NOT NULL,
    kek_id      text   NOT NULL
);
