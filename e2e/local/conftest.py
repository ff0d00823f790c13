"""The e2e tier, started once per test run (session scope, so that tests in random order
share it) on the real control plane (`real_cluster`), with both charts installed by helm and
every example manifest applied."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from mcp_registry_testing.controlplane.cluster import ControlPlane
from mcp_registry_testing.realtier import RealTier, real_tier
from mcp_registry_testing.seedreport import SeedReport
from mcp_registry_testing.seedservices import Samples
from mcp_registry_testing.toolhivestate import ToolHiveState

REPO = Path(__file__).resolve().parents[2]
SEED_DIR = REPO / "examples"
SAMPLE_DIR = REPO / "testdata" / "registry-samples" / "fictional"
CHARTS = REPO / "charts"
SEEDS = sorted(SEED_DIR.glob("*.yaml"))
NEXT_PAGE = "io.github.stacklok/pg-explorer:1.0.0"
"""The cursor of page 2 (page 1's metadata.nextCursor)."""


def seed_docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def seed_namespace(path: Path) -> str:
    """The namespace the seed names, else one of its own (several seeds share a name)."""
    for doc in seed_docs(path):
        if doc["kind"] == "MCPRegistry" and doc["metadata"].get("namespace"):
            return str(doc["metadata"]["namespace"])
    return f"seed-{path.stem}"


def samples() -> Samples:
    return Samples(
        legacy=(SAMPLE_DIR / "registry-legacy.json").read_bytes(),
        upstream=(SAMPLE_DIR / "registry-upstream.json").read_bytes(),
        pages={
            None: json.loads((SAMPLE_DIR / "upstream-api-page1.json").read_text()),
            NEXT_PAGE: json.loads((SAMPLE_DIR / "upstream-api-page2.json").read_text()),
        },
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def tier(
    real_cluster: ControlPlane,
    toolhive_state: ToolHiveState,
    tmp_path_factory: pytest.TempPathFactory,
    seed_report: SeedReport,
) -> AsyncIterator[RealTier]:
    """The charts go over ToolHive's CRD and objects (`toolhive_state`), as a ToolHive user's
    switch would."""
    all_docs = [doc for path in SEEDS for doc in seed_docs(path)]
    seed_report.kubernetes = str(real_cluster.version.get("gitVersion", ""))
    async with real_tier(
        real_cluster,
        charts=CHARTS,
        workdir=tmp_path_factory.mktemp("e2e-tier"),
        samples=samples(),
        seed_docs=all_docs,
    ) as started:
        for path in SEEDS:
            started.sources[path.name] = seed_docs(path)
            applied = await started.apply_seed(
                path.name, seed_docs(path), namespace=seed_namespace(path)
            )
            started.seeds[path.name] = applied
            seed_report.rewrites += [(path.name, rewrite) for rewrite in applied.rewrites]
        yield started
