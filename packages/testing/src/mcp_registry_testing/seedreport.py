"""The e2e tier's report: the Kubernetes it ran against, each seed manifest, the state it
reached, and what was rewritten."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mcp_registry_testing.seedlocal import SeedRewrite


@dataclass(frozen=True)
class SeedOutcome:
    """What one seed manifest reached in the local tier."""

    manifest: str
    registry: str
    """namespace/name of its MCPRegistry."""
    phase: str
    ready: str
    """The Ready condition as `status/reason` (e.g. `True/Ready`, `False/NotReady`)."""
    servers: int | None
    """Servers the API listed through the URL in status (None: not queried)."""
    seconds_to_ready: float | None
    phases_seen: tuple[str, ...] = ()
    note: str = ""


def _cell(value: object) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def outcome_table(outcomes: Iterable[SeedOutcome]) -> str:
    """A Markdown table, one row per manifest, in manifest order."""
    header = [
        "manifest",
        "registry",
        "phase reached",
        "Ready (status/reason)",
        "servers served",
        "seconds to Ready",
        "phases seen",
        "note",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for item in sorted(outcomes, key=lambda o: o.manifest):
        seconds = None if item.seconds_to_ready is None else f"{item.seconds_to_ready:.1f}"
        row = [
            item.manifest,
            item.registry,
            item.phase,
            item.ready,
            item.servers,
            seconds,
            " → ".join(item.phases_seen),
            item.note,
        ]
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


@dataclass
class SeedReport:
    """Filled by the local tier's tests, printed at the end of the session."""

    outcomes: dict[str, SeedOutcome] = field(default_factory=dict)
    rewrites: list[tuple[str, SeedRewrite]] = field(default_factory=list)
    """(manifest, what changed in it)."""
    checks: list[str] = field(default_factory=list)
    """One line per scenario beyond the seeds (sync trigger, delete, kubectl columns)."""
    kubernetes: str = ""
    """The API server's own /version gitVersion."""

    def add(self, outcome: SeedOutcome) -> None:
        self.outcomes[outcome.manifest] = outcome

    def render(self) -> str:
        server = self.kubernetes or "(unknown)"
        parts = [
            f"# e2e tier on kube-apiserver {server}: seed manifests",
            "",
            outcome_table(self.outcomes.values()),
        ]
        if self.checks:
            parts += ["", "## Scenarios", "", *(f"- {line}" for line in self.checks)]
        if self.rewrites:
            parts += ["", "## Rewritten to reach local services", ""]
            parts += [f"- {manifest}: {rewrite}" for manifest, rewrite in self.rewrites]
        return "\n".join(parts) + "\n"
