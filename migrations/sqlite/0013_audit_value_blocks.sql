-- "Was this secret read?" without a random index on the append path (docs/audit.md, "Value reads").
-- ix_audit_records_tenant_value_hmac put every appended read record into a leaf page chosen by its value's HMAC, so
-- each commit wrote one random index page per read it held (most of the ~14 KB of WAL a record cost). Its
-- replacement is coarse: one row per (tenant, value HMAC, block of 16,384 ids) in which that value was read, written
-- the first time a block sees the value (a credential version read a million times writes ~61 rows). The question
-- scans the named blocks newest first, through the primary key, and stops at its limit.
CREATE TABLE audit_value_blocks (
    tenant     TEXT    NOT NULL,
    value_hmac TEXT    NOT NULL,
    block      INTEGER NOT NULL,   -- id >> 14
    PRIMARY KEY (tenant, value_hmac, block)
) WITHOUT ROWID;

INSERT INTO audit_value_blocks (tenant, value_hmac, block)
SELECT DISTINCT tenant, value_hmac, id >> 14 FROM audit_records WHERE value_hmac IS NOT NULL;

DROP INDEX ix_audit_records_tenant_value_hmac;
