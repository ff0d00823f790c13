-- A revision for the admin definitions, from the same sequence as source revisions: each
-- save takes a new one, so another replica that missed a NOTIFY still sees that they changed.
ALTER TABLE registry.definitions
    ADD COLUMN revision bigint NOT NULL DEFAULT nextval('registry.revision_seq');
