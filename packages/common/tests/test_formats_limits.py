"""The limits of one registry document: bytes, JSON values counted unparsed, servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp_registry_common.formats import (
    DEFAULT_DOCUMENT_LIMITS,
    DocumentLimits,
    RegistryLimitError,
    parse_registry,
    value_count_bound,
)
from mcp_registry_common.formats.limits import MIB, check_unparsed

SAMPLES = Path(__file__).resolve().parents[3] / "testdata" / "registry-samples"

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=40,
)


def values_in(value: Any) -> int:
    """JSON values in a decoded document, the root included (object keys are not values)."""
    if isinstance(value, list):
        return 1 + sum(values_in(item) for item in value)
    if isinstance(value, dict):
        return 1 + sum(values_in(item) for item in value.values())
    return 1


@settings(max_examples=300)
@given(value=JSON, indent=st.sampled_from([None, 0, 2]))
def test_value_count_bound_is_never_below_the_values_parsed(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    assert value_count_bound(text.encode()) >= values_in(value)
    assert value_count_bound(text) == value_count_bound(text.encode())


@pytest.mark.parametrize(
    ("text", "bound"),
    [("0", 1), ("[]", 2), ("{}", 2), ("[{},{}]", 5), ('{"a":[1,2],"b":"x,y"}', 6)],
)
def test_value_count_bound_counts_commas_and_openers(text: str, bound: int) -> None:
    assert value_count_bound(text.encode()) == bound


def test_real_catalogs_are_far_from_the_value_limit() -> None:
    for path in sorted((SAMPLES / "fictional").glob("*.json")):
        data = path.read_bytes()
        assert value_count_bound(data) * 16 < len(data), path.name  # about one per 25 bytes


def test_limits_follow_the_byte_cap() -> None:
    limits = DEFAULT_DOCUMENT_LIMITS
    assert limits == DocumentLimits(max_bytes=10 * MIB, max_values=655_360, max_servers=20_480)
    assert DocumentLimits.for_bytes(1600, max_servers=3) == DocumentLimits(1600, 100, 3)
    assert DocumentLimits.for_bytes(1) == DocumentLimits(1, 1, 1)
    for bad in ({"max_bytes": 0}, {"max_bytes": 10, "max_servers": 0}):
        with pytest.raises(ValueError, match="at least 1"):
            DocumentLimits.for_bytes(**bad)


def test_a_document_over_the_byte_limit_is_refused_unread() -> None:
    with pytest.raises(RegistryLimitError) as info:
        check_unparsed(b" " * 1025, DocumentLimits.for_bytes(1024))
    assert str(info.value) == "$: 1,025 bytes, over the 1,024 bytes document limit"
    assert info.value.limit == "bytes"
    check_unparsed(b" " * 1024, DocumentLimits.for_bytes(1024))


def test_the_issues_document_is_refused_before_it_is_decoded() -> None:
    """6,000,000 `{}` (18 MB) fit a 32 MiB cap, but hold almost six times the values it allows."""
    data = b'{"data":{"servers":[' + b"{}," * 5_999_999 + b"{}]}}"
    with pytest.raises(RegistryLimitError) as info:
        parse_registry(data, limits=DocumentLimits.for_bytes(32 * MIB))
    assert info.value.limit == "values"
    assert str(info.value) == (
        "$: refused unparsed: up to 12,000,003 JSON values (counting `,`, `{` and `[`), "
        "over the limit of 2,097,152 (one per 16 bytes of the 32 MiB document limit)"
    )


def test_values_are_checked_before_the_json_is() -> None:
    with pytest.raises(RegistryLimitError, match="refused unparsed: up to 6 JSON values"):
        parse_registry(b"[,,,,", limits=DocumentLimits.for_bytes(64))


def test_the_default_limits_apply_when_none_are_given() -> None:
    with pytest.raises(RegistryLimitError, match="over the 10 MiB document limit"):
        parse_registry(b" " * (10 * MIB + 1))


def servers(count: int) -> list[dict[str, str]]:
    return [
        {"name": f"io.example/s{i}", "description": "d", "version": "1.0.0"} for i in range(count)
    ]


def test_upstream_servers_are_counted_before_any_is_checked() -> None:
    limits = DocumentLimits.for_bytes(MIB, max_servers=3)
    assert len(parse_registry(json.dumps({"data": {"servers": servers(3)}}), limits=limits).servers)
    invalid = [{}] * 4  # none would pass validation: the count speaks first
    with pytest.raises(RegistryLimitError) as info:
        parse_registry(json.dumps({"data": {"servers": invalid}}), limits=limits)
    assert str(info.value) == "data.servers: 4 servers, over the limit of 3 per source"
    assert info.value.limit == "servers"


def test_legacy_entries_are_counted_before_any_is_converted() -> None:
    limits = DocumentLimits.for_bytes(MIB, max_servers=3)
    doc = {"servers": {"a": {}, "b": {}}, "remote_servers": {"c": {}, "d": {}}}
    with pytest.raises(RegistryLimitError) as info:
        parse_registry(json.dumps(doc), limits=limits)
    assert str(info.value) == "$: 4 servers, over the limit of 3 per source"
    entries = {key: {"image": "x", "description": "d"} for key in "abc"}
    assert len(parse_registry(json.dumps({"servers": entries}), limits=limits).servers) == 3
