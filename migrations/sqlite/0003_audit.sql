-- The audit trail: one hash chain per tenant (see docs/audit.md). Append-only: the application has no UPDATE or
-- DELETE path, and the triggers below refuse one from anything else that goes through SQLite's normal path.
-- Someone with the file can drop them; the hash chain is what detects that kind of change.
CREATE TABLE audit_records (
    tenant          TEXT    NOT NULL,
    id              INTEGER NOT NULL,   -- per-tenant sequence, 1, 2, 3 ... without gaps
    time            TEXT    NOT NULL,   -- RFC 3339 UTC, six fractional digits, 'Z' (fixed width: sorts as text)
    actor_key_id    TEXT    NULL,
    actor_name      TEXT    NULL,
    actor_role      TEXT    NULL,
    action          TEXT    NOT NULL,
    target          TEXT    NOT NULL,
    outcome         TEXT    NOT NULL,
    reason          TEXT    NULL,
    request_id      TEXT    NOT NULL,
    client_address  TEXT    NULL,
    user_agent      TEXT    NULL,
    value_hmac      TEXT    NULL,       -- keyed HMAC of a secret value, never the value
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL,
    PRIMARY KEY (tenant, id)            -- also what stops two writers from forking a chain
) WITHOUT ROWID;

CREATE INDEX ix_audit_records_tenant_time ON audit_records (tenant, time);
CREATE INDEX ix_audit_records_tenant_action ON audit_records (tenant, action, id);
CREATE INDEX ix_audit_records_tenant_actor ON audit_records (tenant, actor_key_id, id) WHERE actor_key_id IS NOT NULL;
CREATE INDEX ix_audit_records_tenant_value_hmac ON audit_records (tenant, value_hmac, id) WHERE value_hmac IS NOT NULL;

CREATE TRIGGER tr_audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit_records is append-only');
END;

CREATE TRIGGER tr_audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit_records is append-only');
END;
