"""fetcher_for: every configured source kind gets the right fetcher with its settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from mcp_registry_common.config.sources import SourceConfig
from mcp_registry_server.sources.api import ApiFetcher
from mcp_registry_server.sources.errors import SourceConfigError
from mcp_registry_server.sources.factory import fetcher_for
from mcp_registry_server.sources.file import FilePathFetcher, FileUrlFetcher
from mcp_registry_server.sources.git import GitFetcher
from mcp_registry_server.sources.kubernetes.source import KubernetesSource
from mcp_registry_server.sources.unsynced import UnsyncedFetcher

INTERVAL = {"syncPolicy": {"interval": "1h"}}


def source(block: dict[str, Any]) -> SourceConfig:
    return SourceConfig.model_validate({"name": "s"} | block)


@pytest.mark.parametrize(
    ("block", "kind"),
    [
        ({"git": {"repository": "https://example.com/r.git", "tag": "v1"}} | INTERVAL, GitFetcher),
        ({"api": {"endpoint": "https://registry.example.com"}} | INTERVAL, ApiFetcher),
        ({"file": {"path": "/data/registry.json"}} | INTERVAL, FilePathFetcher),
        ({"file": {"url": "https://example.com/registry.json"}} | INTERVAL, FileUrlFetcher),
        ({"managed": {}}, UnsyncedFetcher),
        ({"kubernetes": {"namespaces": ["a"]}}, KubernetesSource),
    ],
)
async def test_kind_to_fetcher(
    block: dict[str, Any], kind: type, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    assert isinstance(fetcher_for(source(block), http=http, workdir=tmp_path), kind)


async def test_unsynced_fetcher_explains_itself(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    fetcher = fetcher_for(source({"managed": {}}), http=http, workdir=tmp_path)
    with pytest.raises(SourceConfigError, match=r"not synced \(managed source\)"):
        await fetcher.fetch()


def test_a_server_without_git_sources_does_not_load_dulwich() -> None:
    """dulwich and urllib3 cost ~18 MB of RSS; only a git source needs them."""
    probe = "import sys, mcp_registry_server.cli; print('dulwich' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
