DROP TABLE registry.definitions;
