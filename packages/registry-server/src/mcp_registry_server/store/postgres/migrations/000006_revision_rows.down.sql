DROP TRIGGER source_truncated ON registry.source;
DROP TRIGGER source_renamed ON registry.source;
DROP TRIGGER source_deleted ON registry.source;
DROP TRIGGER extension_item_updated_need_source ON registry.extension_item;
DROP TRIGGER extension_item_inserted_need_source ON registry.extension_item;
DROP TRIGGER server_updated_need_source ON registry.server;
DROP TRIGGER server_inserted_need_source ON registry.server;
DROP FUNCTION registry.source_truncated();
DROP FUNCTION registry.source_renamed();
DROP FUNCTION registry.source_deleted();
DROP FUNCTION registry.rows_need_their_source();

-- Committed data holds one revision per source, so (source, position) is unique again.
ALTER TABLE registry.extension_item DROP CONSTRAINT extension_item_pkey,
    ADD PRIMARY KEY (source, kind, position), DROP COLUMN revision,
    ADD CONSTRAINT extension_item_source_fkey FOREIGN KEY (source)
        REFERENCES registry.source (name) ON DELETE CASCADE;
ALTER TABLE registry.server DROP CONSTRAINT server_pkey,
    ADD PRIMARY KEY (source, position), DROP COLUMN revision,
    ADD CONSTRAINT server_source_fkey FOREIGN KEY (source)
        REFERENCES registry.source (name) ON DELETE CASCADE;
