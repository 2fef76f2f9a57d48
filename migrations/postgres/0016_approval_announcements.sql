-- The approvals webhook's outbox (docs/approvals.md, "The webhook"): each announcement is stored with the exact body to
-- POST, so one that could not be delivered (webhook down, a restart, a full queue) is retried until it is, with
-- backoff, for up to a day. A replica claims a row until claimed_until; an announcement is never sent before an earlier
-- one of the same approval. Bodies hold parameters only, never a value, a proof or a key. Times: Unix ms, UTC.
CREATE TABLE approval_announcements (
    id              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant          text    NOT NULL,
    approval_id     text    NOT NULL,
    body            text    NOT NULL,
    created_at      bigint  NOT NULL,
    attempts        bigint  NOT NULL DEFAULT 0,
    next_attempt_at bigint  NOT NULL,
    claimed_until   bigint
);

CREATE INDEX approval_announcements_due ON approval_announcements (next_attempt_at);
CREATE INDEX approval_announcements_by_approval ON approval_announcements (tenant, approval_id, id);
