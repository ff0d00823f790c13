"""The MCP registry server."""

__version__ = "0.1.0"
