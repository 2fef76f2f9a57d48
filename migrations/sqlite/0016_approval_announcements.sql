-- The approvals webhook's outbox (docs/approvals.md, "The webhook"): each announcement is stored with the exact body to
-- POST, so one that could not be delivered (webhook down, a restart, a full queue) is retried until it is, with
-- backoff, for up to a day. A replica claims a row until claimed_until; an announcement is never sent before an earlier
-- one of the same approval. Bodies hold parameters only, never a value, a proof or a key. Times: Unix ms, UTC.
CREATE TABLE approval_announcements (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant          TEXT    NOT NULL,
    approval_id     TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER NULL
);

CREATE INDEX approval_announcements_due ON approval_announcements (next_attempt_at);
CREATE INDEX approval_announcements_by_approval ON approval_announcements (tenant, approval_id, id);
