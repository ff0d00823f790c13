-- ToolHive's skills and plugins of each source, stored beside its servers (one row per item,
-- in input order) and replaced with them; their counts in the persisted sync status.
CREATE TABLE registry.extension_item (
    source   text NOT NULL REFERENCES registry.source (name) ON DELETE CASCADE,
    kind     text NOT NULL CHECK (kind IN ('skill', 'plugin')),
    position integer NOT NULL,
    body     jsonb NOT NULL,
    PRIMARY KEY (source, kind, position)
);

ALTER TABLE registry.source_status
    ADD COLUMN skill_count  integer NOT NULL DEFAULT 0 CHECK (skill_count >= 0),
    ADD COLUMN plugin_count integer NOT NULL DEFAULT 0 CHECK (plugin_count >= 0);
