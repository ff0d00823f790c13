"""Test doubles and fixtures for the MCP registry project. Never imported by the products."""
