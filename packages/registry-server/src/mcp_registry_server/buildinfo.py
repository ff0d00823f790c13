"""What build of the server is running: version, commit, build date, Python and platform."""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict, dataclass
from importlib import metadata, resources

from mcp_registry_server import __version__

BUILD_FILE = "build-info.json"
"""Optional package data `{"commit": ..., "build_date": ...}` written by an image build."""


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """The `/version` document (snake_case keys, like ToolHive's)."""

    version: str
    commit: str
    build_date: str
    python_version: str
    platform: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def current_build_info() -> BuildInfo:
    """The running build: package metadata plus the optional build file ("unknown" without it)."""
    try:
        version = metadata.version("mcp-registry-server")
    except metadata.PackageNotFoundError:
        version = __version__
    stamped: dict[str, str] = {}
    build_file = resources.files("mcp_registry_server") / "data" / BUILD_FILE
    if build_file.is_file():
        loaded = json.loads(build_file.read_text(encoding="utf-8"))
        stamped = (
            {key: str(value) for key, value in loaded.items()} if isinstance(loaded, dict) else {}
        )
    return BuildInfo(
        version=version,
        commit=stamped.get("commit", "unknown"),
        build_date=stamped.get("build_date", "unknown"),
        python_version=platform.python_version(),
        platform=f"{sys.platform}/{platform.machine()}",
    )
