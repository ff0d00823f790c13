"""Storage of synced source data and sync status (memory by default, PostgreSQL when configured)."""
