DROP TABLE registry.server;
DROP TABLE registry.source;
DROP SEQUENCE registry.revision_seq;
