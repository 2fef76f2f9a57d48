-- grants: what an agent key may mint and use beyond reading credentials (JSON: tokens, sts, subjects, approval; see
-- API.md v1.1 "Grants"); '{}' for other roles. A new agent key gets what POST /v1/keys says (deny by default: no
-- tokens, STS only with a credential's own role for an hour, users only with proof). Agent keys that existed before
-- keep what they could do, written out as explicit '*' grants so the list shows it.
ALTER TABLE api_keys ADD COLUMN grants TEXT NOT NULL DEFAULT '{}';
UPDATE api_keys SET grants = '{"tokens":{"audiences":["*"],"scopes":["*"],"maxTtlSeconds":3600},"sts":{"roles":["*"],"maxDurationSeconds":43200},"subjects":"any"}'
WHERE role = 'agent';

-- agent_access: 'read' (agents whose patterns allow it read the value) or 'use' (the value never leaves the broker;
-- it is used on the agents' behalf, e.g. for STS). aws credentials are always 'use'.
ALTER TABLE credentials ADD COLUMN agent_access TEXT NOT NULL DEFAULT 'read';
UPDATE credentials SET agent_access = 'use' WHERE kind = 'aws';
