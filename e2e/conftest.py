"""End-to-end tiers: the real control plane (started once per run, for the `controlplane`
tier), and the local tier's seed report, printed (and saved to a temp file) at the end."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_registry_testing.controlplane.cluster import (
    ControlPlane,
    ControlPlaneError,
    build_binaries,
    control_plane,
)
from mcp_registry_testing.seedreport import SeedReport
from mcp_registry_testing.toolhivestate import ToolHiveState, preinstall_toolhive

REPO = Path(__file__).resolve().parents[1]
CONTROLPLANE_BUILD = REPO / "e2e" / "controlplane" / "build.sh"
TOOLHIVE_CRD = REPO / "testdata" / "toolhive" / "mcpregistries-crd.yaml"
UPSTREAM_SAMPLE = REPO / "testdata" / "registry-samples" / "fictional" / "registry-upstream.json"

REPORT = pytest.StashKey[SeedReport]()


@pytest.fixture(scope="session")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """etcd, kube-apiserver and kube-controller-manager built from Kubernetes' Go modules
    (`e2e/controlplane/build.sh`, cached), started once per test run on loopback."""
    try:
        binaries = build_binaries(CONTROLPLANE_BUILD)
        with control_plane(binaries, tmp_path_factory.mktemp("controlplane")) as started:
            yield started
    except ControlPlaneError as exc:
        pytest.fail(f"the real control plane: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def toolhive_state(real_cluster: ControlPlane) -> ToolHiveState:
    """The cluster as a ToolHive user leaves it (ToolHive's CRD storing v1beta1, objects it
    stored): taken before anything installs this project's CRD chart over it."""
    return preinstall_toolhive(real_cluster, TOOLHIVE_CRD, UPSTREAM_SAMPLE.read_bytes())


@pytest.fixture(scope="session")
def seed_report(request: pytest.FixtureRequest) -> SeedReport:
    """The session's report; the local tier's tests add one outcome per seed manifest."""
    report = SeedReport()
    request.config.stash[REPORT] = report
    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    report = config.stash.get(REPORT, None)
    if report is None or not (report.outcomes or report.checks):
        return
    text = report.render()
    fd, path = tempfile.mkstemp(prefix="mcp-registry-local-e2e-", suffix=".md")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    terminalreporter.section("local e2e tier report")
    terminalreporter.write(text)
    terminalreporter.write_line(f"(report also written to {path})")
