-- Workload login (API.md v1.1 "Workload login"): profiles map a workload identity (a trusted 'workloads' issuer of
-- the tenant, a subject pattern, claim patterns) to the agent fields of a key. claims is a JSON object of claim name
-- to pattern; key_fields a JSON object of the agent fields of POST /v1/keys. Times are Unix milliseconds, UTC.
-- No secret here.
CREATE TABLE workload_profiles (
    id              TEXT    NOT NULL PRIMARY KEY,
    tenant          TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    issuer          TEXT    NOT NULL,
    subject_pattern TEXT    NOT NULL,
    claims          TEXT    NOT NULL,
    key_fields      TEXT    NOT NULL,
    ttl_seconds     INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (tenant, name)
) WITHOUT ROWID;

CREATE INDEX ix_workload_profiles_name ON workload_profiles (name);

-- The short-lived agent keys a login issued, by profile: a deleted profile revokes them, and expired ones are pruned
-- (their api_keys rows with them). A row outlives its profile until its key has expired and is pruned.
CREATE TABLE workload_keys (
    key_id     TEXT    NOT NULL PRIMARY KEY,
    profile_id TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX ix_workload_keys_profile ON workload_keys (profile_id);
CREATE INDEX ix_workload_keys_expiry ON workload_keys (expires_at);
