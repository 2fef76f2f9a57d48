-- Audit retention (docs/audit.md, "Retention"). audit_anchors: per tenant, the signed checkpoint of the last record
-- archived and pruned (columns as audit_checkpoints). The chain continues from it: the first remaining record's
-- prev_hash is its hash. It only moves forward and is never deleted.
CREATE TABLE audit_anchors (
    tenant    TEXT    NOT NULL PRIMARY KEY,
    id        INTEGER NOT NULL,
    hash      TEXT    NOT NULL,
    time      TEXT    NOT NULL,
    kid       TEXT    NOT NULL,
    signature TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER tr_audit_anchors_no_delete BEFORE DELETE ON audit_anchors
BEGIN
    SELECT RAISE(ABORT, 'audit_anchors only moves forward');
END;

CREATE TRIGGER tr_audit_anchors_forward BEFORE UPDATE ON audit_anchors
WHEN NEW.tenant <> OLD.tenant OR NEW.id <= OLD.id
BEGIN
    SELECT RAISE(ABORT, 'audit_anchors only moves forward');
END;

-- The only delete the trail allows: a tenant's records at or below its anchor (already archived). Same name as the
-- trigger of 0003 it replaces.
DROP TRIGGER IF EXISTS tr_audit_records_no_delete;

CREATE TRIGGER tr_audit_records_no_delete BEFORE DELETE ON audit_records
WHEN OLD.id > COALESCE((SELECT id FROM audit_anchors WHERE tenant = OLD.tenant), 0)
BEGIN
    SELECT RAISE(ABORT, 'audit_records is append-only: only records at or below the tenant''s archive anchor may be deleted');
END;
