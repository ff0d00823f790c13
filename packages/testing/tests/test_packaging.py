"""Packaging metadata and the images' build stamp (no Docker here: the Dockerfiles are read,
and the stamping script they run is run on a copy of a package and read back)."""

from __future__ import annotations

import re
import shlex
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


def _readme_commands(program: str) -> list[list[str]]:
    """Every `program ...` command of the README's command blocks, split as the shell would
    (line continuations joined; `$(...)` and `$PWD` kept as words)."""
    from mcp_registry_testing.docblocks import read_blocks

    found = []
    for block in read_blocks(REPO / "README.md"):
        if block.is_command:
            for line in block.text.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if words[:2] == program.split():
                    found.append(words)
    return found


def _options(words: list[str], flag: str) -> list[str]:
    return [words[i + 1] for i, word in enumerate(words) if word == flag]


def test_the_docker_examples_match_the_dockerfiles() -> None:
    """No Docker here: the README's `docker build` and `docker run` lines are checked against
    the Dockerfiles (build args declared, ports exposed, working directory, entrypoint) and the
    arguments after the image against the server's own argument parser."""
    builds = {words[words.index("-f") + 1]: words for words in _readme_commands("docker build")}
    assert set(builds) == {f"packages/{p}/Dockerfile" for p in IMAGES}
    tags = {}
    for path, words in builds.items():
        text = (REPO / path).read_text()
        assert words[-1] == "."  # the context is the repository root, as the Dockerfile says
        for arg in _options(words, "--build-arg"):
            assert re.search(rf"^ARG {arg.split('=')[0]}\b", text, re.M), arg
        (tags[path],) = _options(words, "-t")
    (run,) = _readme_commands("docker run")
    image_at = 2  # after `docker run` and its options (-p and -v take a value)
    while run[image_at].startswith("-"):
        image_at += 2 if run[image_at] in ("-p", "-v") else 1
    assert run[image_at] == tags["packages/registry-server/Dockerfile"]
    server = dockerfile("registry-server")
    exposed = set(re.findall(r"^EXPOSE (.+)$", server, re.M)[0].split())
    published = {mapping.split(":")[1] for mapping in _options(run, "-p")}
    assert published == exposed
    workdir = re.findall(r"^WORKDIR (\S+)$", server, re.M)[-1]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in _options(run, "-v")}
    assert mounts[f"{workdir}/examples"] == "$PWD/examples"  # the config's relative path
    assert re.findall(r"^ENTRYPOINT (.+)$", server, re.M) == ['["mcp-registry-server"]']
    args = server_parser({}).parse_args(run[image_at + 1 :])
    assert args.command == "serve"
    assert str(args.config) in mounts
    assert mounts[str(args.config)] == "$PWD/config.yaml"
