-- Announcing expiry (docs/approvals.md): an approval that expires undecided, or approved and unused, is recorded
-- (approval.expire) and announced to the webhook once. expiry_announced is set by the one replica that claims the
-- row (a conditional UPDATE); approvals already expired when this migration runs are not announced after the fact.
ALTER TABLE approvals ADD COLUMN expiry_announced INTEGER NOT NULL DEFAULT 0;

UPDATE approvals SET expiry_announced = TRUE WHERE expires_at <= CAST(strftime('%s', 'now') AS INTEGER) * 1000;

CREATE INDEX approvals_expiry_due ON approvals (expires_at) WHERE expiry_announced = FALSE;
