"""The common library's README examples run as written (doctest, from the repository root),
and so do the doctests in its modules."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import mcp_registry_common
import pytest

REPO = Path(__file__).resolve().parents[3]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def test_the_readme_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = doctest.testfile(
        str(REPO / "packages" / "common" / "README.md"),
        module_relative=False,
        optionflags=FLAGS,
        raise_on_error=False,
        verbose=False,
    )
    assert result.attempted >= 15
    assert result.failed == 0


def _modules() -> list[str]:
    prefix = mcp_registry_common.__name__ + "."
    return sorted(m.name for m in pkgutil.walk_packages(mcp_registry_common.__path__, prefix))


@pytest.mark.parametrize("name", [m for m in _modules() if not m.endswith("__main__")])
def test_module_doctests_pass(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=FLAGS)
    assert result.failed == 0


def test_file_functions_take_a_str_or_a_path(tmp_path: Path) -> None:
    from mcp_registry_common.config import load_server_config_file
    from mcp_registry_common.crdgen.crd import write_crd
    from mcp_registry_common.validate import expand_paths, validate_file

    config = tmp_path / "config.yaml"
    config.write_text(
        "sources: [{name: a, file: {path: /a.json}, syncPolicy: {interval: 1m}}]\n"
        "registries: [{name: default, sources: [a]}]\nauth: {mode: anonymous}\n"
    )
    for given in (str(config), config):
        assert load_server_config_file(given).config.sources[0].name == "a"
        assert validate_file(given).problems == []
    assert expand_paths([str(tmp_path)]) == [config]
    write_crd(str(tmp_path / "out" / "crd.yaml"))
    assert (tmp_path / "out" / "crd.yaml").read_text().startswith("#")
