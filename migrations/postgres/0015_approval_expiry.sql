-- Announcing expiry (docs/approvals.md): an approval that expires undecided, or approved and unused, is recorded
-- (approval.expire) and announced to the webhook once. expiry_announced is set by the one replica that claims the
-- row (a conditional UPDATE); approvals already expired when this migration runs are not announced after the fact.
ALTER TABLE approvals ADD COLUMN expiry_announced boolean NOT NULL DEFAULT false;

UPDATE approvals SET expiry_announced = true WHERE expires_at <= (extract(epoch FROM now()) * 1000)::bigint;

CREATE INDEX approvals_expiry_due ON approvals (expires_at) WHERE expiry_announced = FALSE;
