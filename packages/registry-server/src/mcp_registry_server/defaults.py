"""The embedded default configuration `serve` runs without --config: the bundled sample registry."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from mcp_registry_common.config import ServerConfig, load_server_config_data

SAMPLE_REGISTRY = "sample-registry.json"
"""Package data: the fictional upstream-format registry (see the package README)."""


def sample_registry_path() -> Path:
    """Where the bundled sample registry file is on disk."""
    return Path(str(resources.files("mcp_registry_server") / "data" / SAMPLE_REGISTRY))


def embedded_default_config() -> ServerConfig:
    """One `file` source on the bundled sample (re-read hourly), registry `default`, no database
    (in-memory store), anonymous access."""
    return load_server_config_data(
        {
            "sources": [
                {
                    "name": "sample",
                    "file": {"path": str(sample_registry_path())},
                    "syncPolicy": {"interval": "1h"},
                }
            ],
            "registries": [{"name": "default", "sources": ["sample"]}],
            "auth": {"mode": "anonymous"},
        }
    ).config
