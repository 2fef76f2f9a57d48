-- Human approval (API.md v1.1 "Approvals"): requests held for a person's decision. Parameters only, never a value, a
-- proof or a key. params_hash binds the approval to the exact request (lowercase hex SHA-256 of its canonical
-- parameters); scopes and granted_scopes are JSON arrays of strings. status is 'pending', 'approved' or 'denied'
-- ('expired' is read from expires_at). Times are Unix milliseconds, UTC. consumed_at marks the one use.
CREATE TABLE approvals (
    tenant            TEXT    NOT NULL,
    id                TEXT    NOT NULL,
    key_id            TEXT    NOT NULL,
    requested_by      TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    target            TEXT    NOT NULL,
    scopes            TEXT    NOT NULL,
    role_arn          TEXT    NULL,
    on_behalf_of      TEXT    NULL,
    task              TEXT    NULL,
    lifetime_seconds  INTEGER NULL,
    params_hash       TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    decided_by_key_id TEXT    NULL,
    decided_by        TEXT    NULL,
    decided_at        INTEGER NULL,
    reason            TEXT    NULL,
    granted_lifetime  INTEGER NULL,
    granted_scopes    TEXT    NULL,
    consumed_at       INTEGER NULL,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE INDEX approvals_by_status ON approvals (tenant, status, created_at);
