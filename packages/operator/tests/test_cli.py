"""The operator's command line: its version, and a clear line when there is no cluster."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mcp_registry_operator import __version__
from mcp_registry_operator.cli import missing_kubeconfig


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcp_registry_operator", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_outside_a_cluster_without_a_kubeconfig_it_says_so_in_one_line(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("KUBERNETES_SERVICE_HOST", "KUBECONFIG")
    }
    env["HOME"] = str(tmp_path)
    done = _run("run", "--health-address=127.0.0.1:0", env=env)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("mcp-registry-operator: no cluster to connect to")
    assert str(tmp_path / ".kube" / "config") in lines[0]
    assert "Traceback" not in done.stderr


def test_a_kubeconfig_anywhere_on_the_path_list_is_enough(tmp_path: Path) -> None:
    found = tmp_path / "b"
    found.write_text("apiVersion: v1\n")
    listed = {"KUBECONFIG": f"{tmp_path / 'a'}{os.pathsep}{found}"}
    assert missing_kubeconfig(None, listed, tmp_path) is None
    assert missing_kubeconfig(str(tmp_path / "a"), listed, tmp_path) is not None
    assert missing_kubeconfig(None, {}, tmp_path) is not None


def test_version_flag() -> None:
    done = _run("--version", env=dict(os.environ))
    assert done.returncode == 0
    assert done.stdout.startswith(f"mcp-registry-operator {__version__} (commit ")
