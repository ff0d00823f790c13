"""The `python -m mcp_registry_common` command line: validate and gen-crd."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mcp_registry_common.__main__ import main

REPO = Path(__file__).resolve().parents[3]
SEED = REPO / "examples"
DATA = Path(__file__).resolve().parent / "data" / "validate"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = main(list(argv))
    return code, capsys.readouterr().out.splitlines()


def test_the_seed_examples_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run(capsys, "validate", str(SEED))

    assert code == 0
    assert lines == ["OK: 13 files checked (13 MCPRegistry); 2 other documents ignored; 0 warnings"]


def test_broken_files_print_file_path_and_message_and_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    manifest, config, registry = (
        DATA / name
        for name in ("broken-mcpregistry.yaml", "broken-config.yaml", "broken-registry.json")
    )

    code, lines = run(capsys, "validate", str(manifest), str(config), str(registry))

    assert code == 1
    assert lines == [
        f"{manifest}: spec.sources[0].git.repository: required key is missing",
        f"{manifest}: spec.sources[0].syncPolicy.interval: invalid duration: use Go duration "
        "syntax such as '30s', '15m', '1h30m'",
        f"{manifest}: spec.authConfig.mode: Input should be 'anonymous' or 'oauth'",
        f"{config}: sources[0].name: name 'Local_Files' must be a valid DNS subdomain "
        "(lowercase alphanumeric and hyphens, max 63 chars)",
        f"{config}: warning: sources[0].syncPolicy.jitter: unknown key (ignored)",
        f"{registry}: data.servers[1].name: must match ^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$, "
        "got 'no-namespace'",
        "FAILED: 5 problems: 3 files checked (1 MCPRegistry, 1 registry data, 1 server config); "
        "1 other document ignored; 1 warning",
    ]


def test_warnings_alone_do_not_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "registryName: old\n"
        "sources: [{name: m, managed: {}}]\n"
        "registries: [{name: r, sources: [m]}]\n"
        "auth: {mode: anonymous}\n"
    )

    code, lines = run(capsys, "validate", str(config))

    assert code == 0
    assert lines == [
        f"{config}: warning: registryName: unknown key (ignored)",
        "OK: 1 file checked (1 server config); 0 other documents ignored; 1 warning",
    ]


def test_gen_crd_writes_the_crd(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "crd.yaml"

    code, lines = run(capsys, "gen-crd", "--output", str(output))

    assert (code, lines) == (0, [f"wrote {output}"])
    crd = yaml.safe_load(output.read_text())
    assert crd["kind"] == "CustomResourceDefinition"
    assert crd["spec"]["names"]["kind"] == "MCPRegistry"


def test_gen_crd_reports_an_unwritable_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")

    code, lines = run(capsys, "gen-crd", "--output", str(blocker / "crd.yaml"))

    assert code == 1
    assert lines[0].startswith(f"gen-crd: cannot write {blocker / 'crd.yaml'}: ")


@pytest.mark.parametrize("argv", [[], ["validate"], ["gen-crd"], ["lint", "x"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)

    assert caught.value.code == 2
    assert "usage: mcp-registry-common" in capsys.readouterr().err


def test_python_dash_m_runs_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mcp_registry_common", "validate", str(SEED), str(DATA)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "FAILED: 5 problems: 16 files checked (14 MCPRegistry, 1 registry data, "
        "1 server config); 3 other documents ignored; 1 warning"
    )
    assert result.stderr == ""
