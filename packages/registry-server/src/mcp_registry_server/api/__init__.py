"""HTTP surfaces: the MCP Registry read API, the internal port and (later) the admin API."""
