"""Shared schema for the MCP registry operator and server."""

__version__ = "0.1.0"
