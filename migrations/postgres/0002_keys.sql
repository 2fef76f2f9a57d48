-- Inbound keys. No secret is stored: key_secrets holds SHA-256 hashes of the current secret and of previous ones
-- still inside a rotation's grace period (expires_at). Times are Unix milliseconds (UTC).
CREATE TABLE api_keys (
    id                    text    NOT NULL PRIMARY KEY,
    tenant                text    NOT NULL,
    name                  text    NOT NULL,
    role                  text    NOT NULL,
    prefix                text    NOT NULL,
    credential_patterns   text    NOT NULL,
    agent_patterns        text    NOT NULL,
    rate_limit_per_minute bigint  NULL,
    quota_per_day         bigint  NULL,
    created_at            bigint  NOT NULL,
    expires_at            bigint  NULL,
    revoked_at            bigint  NULL,
    last_used_at          bigint  NULL,
    is_bootstrap          boolean NOT NULL DEFAULT false
);

CREATE INDEX ix_api_keys_tenant ON api_keys (tenant, created_at);

CREATE TABLE key_secrets (
    hash       bytea  NOT NULL PRIMARY KEY,
    key_id     text   NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    expires_at bigint NULL
);

CREATE INDEX ix_key_secrets_key ON key_secrets (key_id);

-- Revocations and rotations, in commit order: replicas follow it to drop cached keys. seq comes from the single row
-- of key_event_counter, updated in the revoking transaction, so a follower that read up to N never misses an
-- event committed later with a smaller number (revocations are rare; serialising them costs nothing).
CREATE TABLE key_event_counter (
    id  integer NOT NULL PRIMARY KEY CHECK (id = 1),
    seq bigint  NOT NULL
);

INSERT INTO key_event_counter (id, seq) VALUES (1, 0);

CREATE TABLE key_events (
    seq    bigint NOT NULL PRIMARY KEY,
    key_id text   NOT NULL,
    at     bigint NOT NULL
);
