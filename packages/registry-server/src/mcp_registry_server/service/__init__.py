"""The read side's services: the snapshot catalog and the sync engine as the API sees it."""
