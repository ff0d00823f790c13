"""The sync engine: keeps every synced source's data in the store current, on its own schedule."""
