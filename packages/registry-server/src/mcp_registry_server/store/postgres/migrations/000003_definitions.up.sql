-- What the admin API created (sources, registries, per-entry claims), stored whole as one
-- small document so a restarted server or another replica has the same definitions.
CREATE TABLE registry.definitions (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    document   jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
