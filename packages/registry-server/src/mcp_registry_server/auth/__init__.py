"""Authentication and authorization of the registry server's public API (OAuth resource server)."""
