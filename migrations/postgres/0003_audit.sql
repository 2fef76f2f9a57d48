-- The audit trail: one hash chain per tenant (see docs/audit.md). Append-only: the application has no UPDATE or
-- DELETE path and the triggers below refuse one from anyone else short of a superuser dropping them; the hash chain
-- is what detects that kind of change.
CREATE TABLE audit_records (
    tenant          text   NOT NULL,
    id              bigint NOT NULL,   -- per-tenant sequence, 1, 2, 3 ... without gaps
    time            text   NOT NULL,   -- RFC 3339 UTC, six fractional digits, 'Z' (fixed width: sorts as text)
    actor_key_id    text   NULL,
    actor_name      text   NULL,
    actor_role      text   NULL,
    action          text   NOT NULL,
    target          text   NOT NULL,
    outcome         text   NOT NULL,
    reason          text   NULL,
    request_id      text   NOT NULL,
    client_address  text   NULL,
    user_agent      text   NULL,
    value_hmac      text   NULL,       -- keyed HMAC of a secret value, never the value
    prev_hash       text   NOT NULL,
    hash            text   NOT NULL,
    PRIMARY KEY (tenant, id)           -- also what stops two writers (two replicas) from forking a chain
);

CREATE INDEX ix_audit_records_tenant_time ON audit_records (tenant, time);
CREATE INDEX ix_audit_records_tenant_action ON audit_records (tenant, action, id);
CREATE INDEX ix_audit_records_tenant_actor ON audit_records (tenant, actor_key_id, id) WHERE actor_key_id IS NOT NULL;
CREATE INDEX ix_audit_records_tenant_value_hmac ON audit_records (tenant, value_hmac, id) WHERE value_hmac IS NOT NULL;

CREATE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_records is append-only';
END;
$$;

CREATE TRIGGER tr_audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();
