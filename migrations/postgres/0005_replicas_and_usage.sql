-- Replicas: each live broker process has a row. heartbeat_at is written (database clock) at the start of every
-- poll of key_events, before the read that renews the replica's cache lease; acked_seq is the last key event
-- the replica has applied to its cache. A revoke waits until every replica with a fresh heartbeat has acked its
-- event, or the lease bound has passed (docs/replicas.md).
CREATE TABLE broker_replicas (
    id           text        NOT NULL PRIMARY KEY,
    acked_seq    bigint      NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    started_at   timestamptz NOT NULL
);

-- Usage limits shared by every replica. One row per limited key (its lock orders concurrent admissions of that
-- key), an exact sliding log of admissions in the last 60 s (window_count = rows in usage_log for the key), and
-- the count of the current UTC day.
CREATE TABLE usage_counters (
    key_id       text   NOT NULL PRIMARY KEY,
    window_count bigint NOT NULL,
    day          bigint NOT NULL,
    day_count    bigint NOT NULL
);

CREATE TABLE usage_log (
    key_id text   NOT NULL,
    at_ms  bigint NOT NULL
);

CREATE INDEX ix_usage_log_key_at ON usage_log (key_id, at_ms);

-- Admits one use of a key when both limits allow it, atomically: returns (decision, retry_after_ms) with decision
-- 0 = allowed, 1 = rate limited, 2 = quota exceeded. Time is the database's clock, so replicas agree on windows.
CREATE FUNCTION broker_try_acquire(p_key_id text, p_rate bigint, p_quota bigint)
RETURNS TABLE (decision integer, retry_after_ms bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_now     bigint := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
    v_day     bigint := v_now / 86400000;
    v_row     usage_counters%ROWTYPE;
    v_expired bigint;
    v_oldest  bigint;
BEGIN
    INSERT INTO usage_counters (key_id, window_count, day, day_count) VALUES (p_key_id, 0, v_day, 0)
        ON CONFLICT (key_id) DO NOTHING;
    SELECT * INTO v_row FROM usage_counters WHERE key_id = p_key_id FOR UPDATE;

    IF v_row.day <> v_day THEN
        v_row.day := v_day;
        v_row.day_count := 0;
    END IF;

    WITH gone AS (DELETE FROM usage_log WHERE key_id = p_key_id AND at_ms <= v_now - 60000 RETURNING 1)
    SELECT count(*) INTO v_expired FROM gone;
    v_row.window_count := greatest(v_row.window_count - v_expired, 0);

    IF p_quota IS NOT NULL AND v_row.day_count >= p_quota THEN
        UPDATE usage_counters SET window_count = v_row.window_count, day = v_row.day, day_count = v_row.day_count WHERE key_id = p_key_id;
        RETURN QUERY SELECT 2, (v_day + 1) * 86400000 - v_now;
        RETURN;
    END IF;

    IF p_rate IS NOT NULL AND v_row.window_count >= p_rate THEN
        SELECT min(at_ms) INTO v_oldest FROM usage_log WHERE key_id = p_key_id;
        UPDATE usage_counters SET window_count = v_row.window_count, day = v_row.day, day_count = v_row.day_count WHERE key_id = p_key_id;
        RETURN QUERY SELECT 1, greatest(coalesce(v_oldest, v_now) + 60000 - v_now, 1);
        RETURN;
    END IF;

    IF p_rate IS NOT NULL THEN
        INSERT INTO usage_log (key_id, at_ms) VALUES (p_key_id, v_now);
        v_row.window_count := v_row.window_count + 1;
    END IF;

    UPDATE usage_counters SET window_count = v_row.window_count, day = v_row.day, day_count = v_row.day_count + 1 WHERE key_id = p_key_id;
    RETURN QUERY SELECT 0, 0::bigint;
END;
$$;
