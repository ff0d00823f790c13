DROP TABLE registry.source_status;
