ALTER TABLE registry.definitions DROP COLUMN revision;
