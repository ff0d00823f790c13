"""The kind tier cannot run here (no Docker): check that what it needs is at least well formed —
GitHub workflows against the official workflow schema, every shell script shellcheck-clean."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
SCRIPTS = [
    REPO / "e2e" / "controlplane" / "build.sh",
    *sorted((REPO / "scripts").glob("*.sh")),
    REPO / ".ci" / "run",
    REPO / "e2e" / "kind" / "run.sh",
]


def workflow_schema() -> dict[str, object]:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return dict(json.loads(vendor.joinpath("github-workflows.json").read_text()))


def load_workflow(path: Path) -> dict[str, object]:
    document = dict(yaml.safe_load(path.read_text()))
    # YAML 1.1 reads the key `on` as True; GitHub reads it as the string "on".
    if True in document:
        document["on"] = document.pop(True)
    return document


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_the_github_schema(workflow: Path) -> None:
    jsonschema.validate(load_workflow(workflow), workflow_schema())


def test_kind_workflow_runs_the_documented_command() -> None:
    workflow = yaml.load(
        (REPO / ".github/workflows/e2e-kind.yml").read_text(), Loader=yaml.BaseLoader
    )
    steps = workflow["jobs"]["kind"]["steps"]
    assert any("bash e2e/kind/run.sh" in step.get("run", "") for step in steps)
    assert "pull_request" in workflow["on"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_script_is_shellcheck_clean(script: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is installed by scripts/bootstrap.sh --for-tests"
    result = subprocess.run([shellcheck, str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout


def test_kind_tier_is_opt_in() -> None:
    tree = ast.parse((REPO / "e2e" / "kind" / "test_kind.py").read_text())
    marks = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(getattr(t, "id", "") == "pytestmark" for t in node.targets)
    ]
    assert marks, "the kind tier must carry the `kind` marker"
    assert "-m 'not kind'" in (REPO / "hatch.toml").read_text()
