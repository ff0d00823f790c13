"""What `audit.includeRequestData` logs of a body: redacted JSON, cut to `maxDataSize`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp_registry_common.redaction import REDACTED
from mcp_registry_server.auth.audit_data import DEFAULT_MAX_DATA_SIZE, audit_data, redact


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"password": "p", "user": "u"}, {"password": REDACTED, "user": "u"}),
        (
            {"clientSecret": "s", "apiKey": "k", "api-key": "k"},
            {"clientSecret": REDACTED, "apiKey": REDACTED, "api-key": REDACTED},
        ),
        (
            {"Authorization": "Bearer t", "accessToken": "t"},
            {"Authorization": REDACTED, "accessToken": REDACTED},
        ),
        (
            {"nested": [{"passwd": "x"}, {"bypass": "kept", "compass": "kept"}]},
            {"nested": [{"passwd": REDACTED}, {"bypass": "kept", "compass": "kept"}]},
        ),
        (
            {"name": "API_KEY", "isSecret": True, "value": "v", "default": "d"},
            {"name": "API_KEY", "isSecret": True, "value": REDACTED, "default": REDACTED},
        ),
        (
            {"name": "HOST", "isSecret": False, "value": "h"},
            {"name": "HOST", "isSecret": False, "value": "h"},
        ),
        ({"token": None, "secret": {"a": 1}}, {"token": None, "secret": REDACTED}),
        ([1, "two", None], [1, "two", None]),
        (
            {"file": {"url": "https://u:p@h/r.json?sig=s"}, "urls": ["http://h/?t=x"]},
            {
                "file": {"url": "https://REDACTED@h/r.json?sig=REDACTED"},
                "urls": ["http://h/?t=REDACTED"],
            },
        ),
    ],
)
def test_redaction(document: Any, expected: Any) -> None:
    assert redact(document) == expected


def test_small_bodies_are_kept_as_json() -> None:
    data = audit_data(json.dumps({"claims": {"org": "acme"}}).encode(), max_size=100)
    assert (data.value, data.truncated) == ({"claims": {"org": "acme"}}, False)


def test_large_bodies_are_cut_to_a_string_on_a_character_boundary() -> None:
    raw = json.dumps({"description": "é" * 100}).encode()
    data = audit_data(raw, max_size=41)
    assert data.truncated is True
    assert isinstance(data.value, str)
    assert len(data.value.encode()) <= 41
    assert data.value.startswith('{"description":"é')


def test_zero_means_the_default_size() -> None:
    raw = json.dumps({"d": "x" * (DEFAULT_MAX_DATA_SIZE * 2)}).encode()
    data = audit_data(raw, max_size=0)
    assert len(data.value.encode()) == DEFAULT_MAX_DATA_SIZE


def test_non_json_bodies_are_never_logged_verbatim() -> None:
    data = audit_data(b"password=hunter2", max_size=1024)
    assert data.value == "<non-JSON body, 16 bytes>"
    assert "hunter2" not in str(data.value)
