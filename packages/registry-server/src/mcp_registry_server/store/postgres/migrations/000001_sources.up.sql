-- Synced source data: one row per source, its servers in input order.
CREATE SEQUENCE registry.revision_seq;

CREATE TABLE registry.source (
    name         text PRIMARY KEY,
    content_hash text NOT NULL,
    synced_at    timestamptz NOT NULL,
    server_count integer NOT NULL DEFAULT 0,
    -- Bumped from revision_seq on every replace; other replicas poll it to find changes.
    revision     bigint NOT NULL DEFAULT nextval('registry.revision_seq'),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE registry.server (
    source   text NOT NULL REFERENCES registry.source (name) ON DELETE CASCADE,
    position integer NOT NULL,
    name     text NOT NULL,
    version  text NOT NULL,
    body     jsonb NOT NULL,
    PRIMARY KEY (source, position)
);
