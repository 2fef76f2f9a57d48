-- Audit retention; see migrations/sqlite/0012_audit_retention.sql for audit_anchors. With a separate owner role the
-- runtime role may not DELETE from audit_records nor write audit_anchors (granted after the migrations): pruning goes
-- through audit_prune, which runs as its owner (SECURITY DEFINER) and deletes only what is at or below the tenant's
-- anchor, an anchor that only moves forward and must name a record of the chain, with its hash, that is not the head.
-- So the runtime role can shorten the trail only by archived records below a signed anchor, never cut a tail or a
-- middle, and never needs the owner's connection string.
CREATE TABLE audit_anchors (
    tenant    text   NOT NULL PRIMARY KEY,
    id        bigint NOT NULL,
    hash      text   NOT NULL,
    time      text   NOT NULL,
    kid       text   NOT NULL,
    signature text   NOT NULL
);

-- The trigger of 0003 refused every DELETE; now a DELETE of a record at or below its tenant's anchor passes (the
-- function below is the only caller with the privilege under two roles), anything else is still refused.
CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.id <= COALESCE((SELECT id FROM audit_anchors WHERE tenant = OLD.tenant), 0) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_records is append-only';
END;
$$;

CREATE FUNCTION audit_prune(p_tenant text, p_id bigint, p_hash text, p_time text, p_kid text, p_signature text, p_batch integer)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    current_id   bigint;
    current_hash text;
    deleted      integer;
BEGIN
    IF p_id IS NULL OR p_id < 1 OR p_batch IS NULL OR p_batch < 1 THEN
        RAISE EXCEPTION 'audit_prune: the anchor id and the batch size must be at least 1';
    END IF;

    SELECT id, hash INTO current_id, current_hash FROM audit_anchors WHERE tenant = p_tenant FOR UPDATE;
    IF current_id IS NULL OR p_id > current_id THEN
        IF NOT EXISTS (SELECT 1 FROM audit_records WHERE tenant = p_tenant AND id = p_id AND hash = p_hash)
           OR NOT EXISTS (SELECT 1 FROM audit_records WHERE tenant = p_tenant AND id > p_id) THEN
            RAISE EXCEPTION 'audit_prune: the archive anchor must name a record of the chain, with its hash, that is not the chain''s head';
        END IF;

        INSERT INTO audit_anchors (tenant, id, hash, time, kid, signature) VALUES (p_tenant, p_id, p_hash, p_time, p_kid, p_signature)
        ON CONFLICT (tenant) DO UPDATE SET id = excluded.id, hash = excluded.hash, time = excluded.time, kid = excluded.kid, signature = excluded.signature;
        current_id := p_id;
    ELSIF p_id < current_id OR p_hash IS DISTINCT FROM current_hash THEN
        RAISE EXCEPTION 'audit_prune: the archive anchor only moves forward';
    END IF;

    DELETE FROM audit_records
    WHERE tenant = p_tenant AND id IN (SELECT id FROM audit_records WHERE tenant = p_tenant AND id <= current_id ORDER BY id LIMIT p_batch);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END;
$$;

REVOKE ALL ON FUNCTION audit_prune(text, bigint, text, text, text, text, integer) FROM PUBLIC;
