"""Packaging metadata and the images' build stamp (no Docker here: the Dockerfiles are read,
and the stamping script they run is run on a copy of a package and read back)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from mcp_registry_common.buildinfo import BUILD_FILE, read_build_info
from mcp_registry_operator.cli import build_parser as operator_parser
from mcp_registry_server.cliargs import build_parser as server_parser

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ["common", "registry-server", "operator", "testing"]
IMAGES = {"registry-server": "mcp_registry_server", "operator": "mcp_registry_operator"}
OCI_LABELS = {"title", "description", "version", "revision", "created", "licenses", "source"}


def pyproject(package: str) -> dict[str, object]:
    return tomllib.loads((REPO / "packages" / package / "pyproject.toml").read_text())["project"]


def test_the_license_is_apache_2_in_full() -> None:
    text = (REPO / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in text
    assert len(text.splitlines()) > 170


@pytest.mark.parametrize("package", PACKAGES)
def test_each_distribution_carries_license_authors_classifiers_and_urls(package: str) -> None:
    meta = pyproject(package)
    assert meta["license"] == "Apache-2.0"
    assert meta["license-files"] == ["LICENSE"]
    license_file = REPO / "packages" / package / "LICENSE"
    assert license_file.read_text() == (REPO / "LICENSE").read_text()
    assert meta["authors"]
    assert isinstance(meta["urls"], dict)
    assert {"Homepage", "Source", "Issues"} <= set(meta["urls"])
    classifiers = meta["classifiers"]
    assert isinstance(classifiers, list)
    assert "Programming Language :: Python :: 3.11" in classifiers
    # Only the test doubles are marked so that PyPI refuses them.
    assert ("Private :: Do Not Upload" in classifiers) == (package == "testing")


def dockerfile(package: str) -> str:
    return (REPO / "packages" / package / "Dockerfile").read_text()


@pytest.mark.parametrize("package", IMAGES)
def test_images_are_labelled_and_stamped_with_commit_and_build_time(package: str) -> None:
    text = dockerfile(package)
    labels = set(re.findall(r"org\.opencontainers\.image\.([a-z]+)=", text))
    assert labels == OCI_LABELS
    assert 'revision="${VCS_REF}"' in text
    assert 'created="${BUILD_DATE}"' in text
    stamp = f'sh scripts/stamp-build-info.sh packages/{package}/src/{IMAGES[package]} "$VCS_REF"'
    assert stamp in text
    version = pyproject(package)["version"]
    assert f'org.opencontainers.image.version="{version}"' in text


def test_each_image_exposes_the_ports_its_program_listens_on() -> None:
    server = server_parser({}).parse_args(["serve", "--config", "c.yaml"])
    assert server.address is None  # defaults to :8080 and :8081 (cli.listen_addresses)
    assert re.findall(r"^EXPOSE (.+)$", dockerfile("registry-server"), re.M) == ["8080 8081"]
    _, port = operator_parser().parse_args(["run"]).health_address
    assert re.findall(r"^EXPOSE (.+)$", dockerfile("operator"), re.M) == [str(port)]


def test_the_stamp_the_dockerfiles_write_is_what_version_reports(tmp_path: Path) -> None:
    package = tmp_path / "mcp_registry_operator"
    package.mkdir()
    script = REPO / "scripts" / "stamp-build-info.sh"
    sh = shutil.which("sh")
    assert sh is not None
    subprocess.run([sh, str(script), str(package), "0123abc", "2026-12-06T02:00:00Z"], check=True)
    info = read_build_info(
        "mcp-registry-operator", fallback_version="0", build_file=package / "data" / BUILD_FILE
    )
    assert (info.commit, info.build_date) == ("0123abc", "2026-12-06T02:00:00Z")
    assert info.line("mcp-registry-operator").endswith(
        "(commit 0123abc, built 2026-12-06T02:00:00Z)"
    )
    unstamped = tmp_path / "plain"
    subprocess.run([sh, str(script), str(unstamped), "", ""], check=True)
    assert not unstamped.exists()
    assert read_build_info("x", fallback_version="0", build_file=str(unstamped)).commit == "unknown"
