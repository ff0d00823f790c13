-- Persisted sync status, so a restarted server is ready without a new sync.
CREATE TABLE registry.source_status (
    name           text PRIMARY KEY,
    phase          text NOT NULL CHECK (phase IN ('Syncing', 'Complete', 'Failed')),
    message        text NOT NULL DEFAULT '',
    attempt_count  integer NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
    last_attempt   timestamptz,
    last_sync_time timestamptz,
    content_hash   text,
    filter_hash    text,
    server_count   integer NOT NULL DEFAULT 0 CHECK (server_count >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
