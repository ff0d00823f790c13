"""End-to-end tiers: the local tier's seed report, printed (and saved to a temp file) at the end."""

from __future__ import annotations

import os
import tempfile

import pytest
from mcp_registry_testing.seedreport import SeedReport

REPORT = pytest.StashKey[SeedReport]()


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
