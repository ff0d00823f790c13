"""What build of the server is running (`mcp_registry_common.buildinfo`, for this package)."""

from __future__ import annotations

from importlib import resources

from mcp_registry_common.buildinfo import BUILD_FILE, BuildInfo, read_build_info

from mcp_registry_server import __version__

__all__ = ["BUILD_FILE", "BuildInfo", "current_build_info"]


def current_build_info() -> BuildInfo:
    """The running build: package metadata plus the optional build file ("unknown" without it)."""
    return read_build_info(
        "mcp-registry-server",
        fallback_version=__version__,
        build_file=resources.files("mcp_registry_server") / "data" / BUILD_FILE,
    )
