"""The repository is self-contained: no code, test, script or bench reads a file beside the
clone (such as the project brief's folder) or names an absolute path of one machine.
Everything the tests need is in `testdata/` and `examples/`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
OUTSIDE = re.compile(
    r"\.\./s[h]ared\b"  # the brief's folder beside the clone (written so as not to match)
    r"|/(?:w[o]rk|f[a]rm)/"  # an absolute path of the developers' or CI's machines
    r"|REPO\.parent\b"  # the folder that holds the clone
    r"|parents\[\d+\]\.parent\b"
    r"|\.parent\s*/\s*\"s[h]ared\""
)
CHECKED = (".py", ".sh", ".toml", ".yml", ".yaml", ".cfg", ".ini")


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=30
    )
    names = [n for n in listed.stdout.decode().split("\0") if n]
    return [REPO / n for n in names if n.endswith(CHECKED) or n == ".ci/run"]


def test_nothing_reads_outside_the_repository() -> None:
    files = tracked_files()
    assert len(files) > 100, "git ls-files found too few files to be this repository"
    offending = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offending == [], "\n".join(offending)


def test_the_example_manifests_and_samples_are_in_the_repository() -> None:
    assert len(sorted((REPO / "examples").glob("*.yaml"))) == 13
    samples = REPO / "testdata" / "registry-samples" / "fictional"
    assert sorted(p.name for p in samples.glob("*.json")) == [
        "registry-legacy.json",
        "registry-upstream.json",
        "upstream-api-page1.json",
        "upstream-api-page2.json",
    ]
