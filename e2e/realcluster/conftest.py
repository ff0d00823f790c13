"""The real control plane with this project's CRD installed, and the conformance table."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp_registry_testing.controlplane.cluster import ControlPlane
from mcp_registry_testing.realtier import install_crd_chart
from mcp_registry_testing.toolhivestate import ToolHiveState

REPO = Path(__file__).resolve().parents[2]
CRD_FILE = REPO / "crds" / "toolhive.stacklok.dev_mcpregistries.yaml"
_names = itertools.count(1)


def unique_namespace(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


@pytest.fixture(scope="session")
def cluster_with_crd(real_cluster: ControlPlane, toolhive_state: ToolHiveState) -> ControlPlane:
    """The CRD chart installed with the real helm (the release the e2e tier installs too),
    over ToolHive's CRD (`toolhive_state`)."""
    install_crd_chart(real_cluster, REPO / "charts")
    return real_cluster


@dataclass
class ConformanceTable:
    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, case: str, double: Any, real: Any) -> None:
        refused = isinstance(double, dict) and double.get("error") == 501
        agree = "agree" if double == real else "refused by the double" if refused else "DISAGREE"
        self.rows.append((case, agree, _short(double) if double != real else ""))

    def render(self) -> str:
        lines = ["| case | double vs real | double's answer where it differs |", "|---|---|---|"]
        lines += [f"| {c} | {a} | {d} |" for c, a, d in sorted(self.rows)]
        return "\n".join(lines) + "\n"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 160 else text[:157] + "..."


TABLE = ConformanceTable()


@pytest.fixture(scope="session")
def conformance_table() -> Iterator[ConformanceTable]:
    return TABLE


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TABLE.rows:
        terminalreporter.section("API double vs real kube-apiserver (conformance)")
        terminalreporter.write(TABLE.render())
