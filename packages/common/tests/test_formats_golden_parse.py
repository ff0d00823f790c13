"""parse_registry's output for the legacy samples, byte for byte (key order included), against
fixtures written by the converter before it was made faster: any change to what it produces,
however small, fails here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp_registry_common.formats import parse_registry

SAMPLES = Path(__file__).resolve().parents[3] / "testdata" / "registry-samples"
GOLDEN = SAMPLES / "golden-parse"


@pytest.mark.parametrize(
    ("legacy", "golden"),
    [
        (SAMPLES / "toolhive-legacy-real-subset.json", "toolhive-legacy-real-subset"),
        (SAMPLES / "fictional" / "registry-legacy.json", "fictional-registry-legacy"),
        (GOLDEN / "bench-legacy-6.input.json", "bench-legacy-6"),
    ],
)
def test_legacy_parse_output_is_unchanged(legacy: Path, golden: str) -> None:
    parsed = parse_registry(legacy.read_bytes())
    rendered = json.dumps(parsed.servers, indent=1, ensure_ascii=False) + "\n"
    assert rendered == (GOLDEN / f"{golden}.servers.json").read_text(encoding="utf-8")
    assert parsed.format == "toolhive"
