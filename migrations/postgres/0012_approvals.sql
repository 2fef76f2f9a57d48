-- Human approval (API.md v1.1 "Approvals"): requests held for a person's decision. Parameters only, never a value, a
-- proof or a key. params_hash binds the approval to the exact request (lowercase hex SHA-256 of its canonical
-- parameters); scopes and granted_scopes are JSON arrays of strings. status is 'pending', 'approved' or 'denied'
-- ('expired' is read from expires_at). Times are Unix milliseconds, UTC. consumed_at marks the one use.
CREATE TABLE approvals (
    tenant            text    NOT NULL,
    id                text    NOT NULL,
    key_id            text    NOT NULL,
    requested_by      text    NOT NULL,
    kind              text    NOT NULL,
    target            text    NOT NULL,
    scopes            text    NOT NULL,
    role_arn          text,
    on_behalf_of      text,
    task              text,
    lifetime_seconds  bigint,
    params_hash       text    NOT NULL,
    status            text    NOT NULL,
    created_at        bigint  NOT NULL,
    expires_at        bigint  NOT NULL,
    decided_by_key_id text,
    decided_by        text,
    decided_at        bigint,
    reason            text,
    granted_lifetime  bigint,
    granted_scopes    text,
    consumed_at       bigint,
    PRIMARY KEY (tenant, id)
);

CREATE INDEX approvals_by_status ON approvals (tenant, status, created_at);
