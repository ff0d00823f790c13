ALTER TABLE registry.source_status DROP COLUMN plugin_count, DROP COLUMN skill_count;
DROP TABLE registry.extension_item;
