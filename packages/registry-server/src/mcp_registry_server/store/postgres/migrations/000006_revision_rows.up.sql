-- Server and extension rows keyed by the source revision that wrote them: a replace COPYs the
-- new revision's rows beside the old ones (no key collides, so no unique check has to visit
-- the old rows) and deletes the old revision in the same transaction; readers see one
-- revision or the other, never both (one transaction, MVCC).
--
-- The per-row foreign keys to registry.source (one lookup per copied row) become triggers
-- that keep the same integrity once per statement: inserted or updated rows must name an
-- existing source (locked FOR KEY SHARE, as the foreign key's check does, so a concurrent
-- delete waits), deleting a source deletes its rows, renaming a source that has rows and
-- truncating registry.source without them are refused.
ALTER TABLE registry.server DROP CONSTRAINT server_source_fkey;
ALTER TABLE registry.server ADD COLUMN revision bigint;
UPDATE registry.server AS r SET revision = s.revision
    FROM registry.source AS s WHERE s.name = r.source;
ALTER TABLE registry.server ALTER COLUMN revision SET NOT NULL,
    DROP CONSTRAINT server_pkey, ADD PRIMARY KEY (source, revision, position);

ALTER TABLE registry.extension_item DROP CONSTRAINT extension_item_source_fkey;
ALTER TABLE registry.extension_item ADD COLUMN revision bigint;
UPDATE registry.extension_item AS r SET revision = s.revision
    FROM registry.source AS s WHERE s.name = r.source;
ALTER TABLE registry.extension_item ALTER COLUMN revision SET NOT NULL,
    DROP CONSTRAINT extension_item_pkey, ADD PRIMARY KEY (source, revision, kind, position);

CREATE FUNCTION registry.rows_need_their_source() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    PERFORM 1 FROM registry.source AS s
        WHERE s.name IN (SELECT DISTINCT n.source FROM new_rows AS n) FOR KEY SHARE OF s;
    SELECT n.source INTO missing FROM (SELECT DISTINCT source FROM new_rows) AS n
        WHERE NOT EXISTS (SELECT 1 FROM registry.source AS s WHERE s.name = n.source)
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "%" names source "%", which does not exist',
            TG_TABLE_NAME, missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER server_inserted_need_source AFTER INSERT ON registry.server
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry.rows_need_their_source();
CREATE TRIGGER server_updated_need_source AFTER UPDATE ON registry.server
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry.rows_need_their_source();
CREATE TRIGGER extension_item_inserted_need_source AFTER INSERT ON registry.extension_item
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry.rows_need_their_source();
CREATE TRIGGER extension_item_updated_need_source AFTER UPDATE ON registry.extension_item
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry.rows_need_their_source();

CREATE FUNCTION registry.source_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM registry.server WHERE source IN (SELECT name FROM old_rows);
    DELETE FROM registry.extension_item WHERE source IN (SELECT name FROM old_rows);
    RETURN NULL;
END
$$;

CREATE TRIGGER source_deleted AFTER DELETE ON registry.source
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry.source_deleted();

CREATE FUNCTION registry.source_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM registry.server WHERE source = OLD.name)
        OR EXISTS (SELECT 1 FROM registry.extension_item WHERE source = OLD.name) THEN
        RAISE EXCEPTION 'source "%" still has rows; it cannot be renamed', OLD.name
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER source_renamed BEFORE UPDATE OF name ON registry.source
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION registry.source_renamed();

CREATE FUNCTION registry.source_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM registry.server) OR EXISTS (SELECT 1 FROM registry.extension_item)
    THEN
        RAISE EXCEPTION 'cannot truncate registry.source while rows name its sources'
            USING ERRCODE = 'feature_not_supported';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER source_truncated BEFORE TRUNCATE ON registry.source
    FOR EACH STATEMENT EXECUTE FUNCTION registry.source_truncated();
