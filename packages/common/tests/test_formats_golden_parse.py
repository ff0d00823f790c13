"""parse_registry's output and errors for legacy documents, byte for byte (key order included),
against fixtures written by the converter before it was made faster: any change to what it
produces or to the error it names, however small, fails here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp_registry_common.formats import RegistryFormatError, parse_registry

SAMPLES = Path(__file__).resolve().parents[3] / "testdata" / "registry-samples"
GOLDEN = SAMPLES / "golden-parse"


@pytest.mark.parametrize(
    ("legacy", "golden"),
    [
        (SAMPLES / "toolhive-legacy-real-subset.json", "toolhive-legacy-real-subset"),
        (SAMPLES / "fictional" / "registry-legacy.json", "fictional-registry-legacy"),
        (GOLDEN / "bench-legacy-6.input.json", "bench-legacy-6"),
        (GOLDEN / "edge-cases-legacy.input.json", "edge-cases-legacy"),
    ],
)
def test_legacy_parse_output_is_unchanged(legacy: Path, golden: str) -> None:
    parsed = parse_registry(legacy.read_bytes())
    rendered = json.dumps(parsed.servers, indent=1, ensure_ascii=False) + "\n"
    assert rendered == (GOLDEN / f"{golden}.servers.json").read_text(encoding="utf-8")
    assert parsed.format == "toolhive"


ERROR_CASES = json.loads((GOLDEN / "errors-legacy.cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", ERROR_CASES, ids=[f"case{i}" for i in range(len(ERROR_CASES))])
def test_legacy_parse_errors_are_unchanged(case: dict[str, str | None]) -> None:
    """Each malformed document fails with the same message (path included), or passes, as it
    did before the speed-up: which of several problems is named first is pinned too."""
    document, expected = case["document"], case["error"]
    assert document is not None
    if expected is None:
        assert parse_registry(document.encode()).format == "toolhive"
        return
    with pytest.raises(RegistryFormatError) as caught:
        parse_registry(document.encode())
    assert str(caught.value) == expected


SINK_DOCUMENTS = [
    SAMPLES / "toolhive-legacy-real-subset.json",
    GOLDEN / "edge-cases-legacy.input.json",
    SAMPLES / "toolhive-upstream-real-subset.json",
]


@pytest.mark.parametrize("document", SINK_DOCUMENTS, ids=lambda path: path.stem)
def test_a_sink_gets_the_same_servers_in_order_instead_of_the_result(document: Path) -> None:
    data = document.read_bytes()
    received: list[dict[str, object]] = []
    parsed = parse_registry(data, on_server=received.append)
    assert parsed.servers == []
    assert received == parse_registry(data).servers
    assert json.dumps(received) == json.dumps(parse_registry(data).servers)  # key order too


@pytest.mark.parametrize("case", ERROR_CASES, ids=[f"case{i}" for i in range(len(ERROR_CASES))])
def test_with_a_sink_the_errors_are_the_same(case: dict[str, str | None]) -> None:
    document, expected = case["document"], case["error"]
    assert document is not None
    received: list[dict[str, object]] = []
    if expected is None:
        parse_registry(document, on_server=received.append)
        return
    with pytest.raises(RegistryFormatError) as caught:
        parse_registry(document, on_server=received.append)
    assert str(caught.value) == expected
