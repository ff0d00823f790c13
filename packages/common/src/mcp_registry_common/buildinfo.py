"""What build of a program is running: version, commit, build date, Python and platform.

An image build stamps the commit and the build time into the package as `data/build-info.json`
(`scripts/stamp-build-info.sh`, run by both Dockerfiles, which also put them in the image's
OCI labels); without that file (a source checkout, a wheel from PyPI) both read `unknown`.
"""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from importlib.resources.abc import Traversable
from pathlib import Path

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

    def line(self, program: str) -> str:
        """`program VERSION (commit C, built D)`: what `--version` prints."""
        return f"{program} {self.version} (commit {self.commit}, built {self.build_date})"


def read_build_info(
    distribution: str, *, fallback_version: str, build_file: Traversable | Path | str
) -> BuildInfo:
    """The running build: the distribution's installed version (else `fallback_version`) and
    the commit and build date in `build_file` ("unknown" without it)."""
    try:
        version = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        version = fallback_version
    path = Path(build_file) if isinstance(build_file, str) else build_file
    stamped: dict[str, str] = {}
    if path.is_file():
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            stamped = {key: str(value) for key, value in loaded.items()}
    return BuildInfo(
        version=version,
        commit=stamped.get("commit") or "unknown",
        build_date=stamped.get("build_date") or "unknown",
        python_version=platform.python_version(),
        platform=f"{sys.platform}/{platform.machine()}",
    )
