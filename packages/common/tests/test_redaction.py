"""The one redaction module: URLs, free text, mappings, and reading a redacted URL back."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp_registry_common.redaction import (
    REDACTED,
    RedactedUrlError,
    carries_redaction,
    is_secret_key,
    redact_mapping,
    redact_text,
    redact_url,
    redact_urls,
    restore_url,
)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.com/registry.json", "https://example.com/registry.json"),
        (
            "https://example.com/r.json?access_token=abc",
            "https://example.com/r.json?access_token=REDACTED",
        ),
        (
            "https://b.blob.example/c/r.json?sv=2024&se=2030&sig=Zm9v%2Bbar",
            "https://b.blob.example/c/r.json?sv=REDACTED&se=REDACTED&sig=REDACTED",
        ),
        (
            "https://user:hunter2@git.example/org/repo.git",
            "https://REDACTED@git.example/org/repo.git",
        ),
        ("https://ghp_token@github.com/org/repo", "https://REDACTED@github.com/org/repo"),
        ("http://u:p@[::1]:8080/x?k=v#frag", "http://REDACTED@[::1]:8080/x?k=REDACTED#REDACTED"),
        ("https://h/x#access_token=t&state=s", "https://h/x#access_token=REDACTED&state=REDACTED"),
        ("https://h/x?bare&empty=&k=v", "https://h/x?REDACTED&empty=&k=REDACTED"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("http://[bad/x", "<unparsable URL>"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact_url(shown) == shown


URLISH = st.from_regex(r"[a-z]{1,5}://[!-~]{0,40}", fullmatch=True)


@given(st.lists(st.one_of(st.text(max_size=10), URLISH), max_size=4).map(" ".join))
def test_redacting_twice_changes_nothing(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


def test_redact_text_finds_every_url_and_keeps_the_sentence() -> None:
    text = (
        "HTTP 403 Forbidden for URL https://h/r.json?sig=s3cr3t; retried "
        "(url='https://u:pw@h2/p?token=t2'), then https://h3/ok."
    )
    assert redact_text(text) == (
        "HTTP 403 Forbidden for URL https://h/r.json?sig=REDACTED; retried "
        "(url='https://REDACTED@h2/p?token=REDACTED'), then https://h3/ok."
    )
    assert redact_text("no url here: a=b?c=d") == "no url here: a=b?c=d"


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("PASSWD", True),
        ("client_secret", True),
        ("apiKey", True),
        ("X-Api-Key", True),
        ("api_key", True),
        ("accessToken", True),
        ("Authorization", True),
        ("privateKey", True),
        ("credentials", True),
        ("passphrase", True),
        ("bypass", False),
        ("url", False),
        ("keys", False),
        ("user", False),
    ],
)
def test_is_secret_key(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_redact_mapping_hides_secret_values_and_urls_at_any_depth() -> None:
    document: dict[str, Any] = {
        "password": "hunter2",
        "has_password": True,
        "token": None,
        "nested": {"apiKey": "k", "ok": 1, "url": "https://h/x?sig=s"},
        "list": [{"clientSecret": {"a": 1}}, "see https://u:p@h/"],
        "pair": ("https://h/?a=b", 2),
    }
    assert redact_mapping(document) == {
        "password": REDACTED,
        "has_password": True,
        "token": None,
        "nested": {"apiKey": REDACTED, "ok": 1, "url": "https://h/x?sig=REDACTED"},
        "list": [{"clientSecret": REDACTED}, "see https://REDACTED@h/"],
        "pair": ("https://h/?a=REDACTED", 2),
    }
    assert document["password"] == "hunter2"  # a copy: the input is left alone


@pytest.mark.parametrize(
    ("url", "carries"),
    [
        ("https://REDACTED@h/x", True),
        ("https://user:REDACTED@h/x", True),
        ("https://h/x?sig=REDACTED", True),
        ("https://h/x?REDACTED", True),
        ("https://h/x#t=REDACTED", True),
        ("https://h/REDACTED/x", False),
        ("https://h/x?q=REDACTEDish", False),
        ("https://h/x?sig=abc", False),
    ],
)
def test_carries_redaction(url: str, carries: bool) -> None:
    assert carries_redaction(url) is carries


def test_restore_url_keeps_the_stored_secret_for_its_own_redacted_form() -> None:
    stored = "https://u:pw@h/r.json?sig=s"
    assert restore_url(redact_url(stored), stored) == stored
    assert restore_url("https://u:new@h/r.json?sig=t", stored) == "https://u:new@h/r.json?sig=t"
    assert restore_url("https://plain/r.json", stored) == "https://plain/r.json"
    assert restore_url("https://plain/r.json", None) == "https://plain/r.json"
    with pytest.raises(RedactedUrlError, match="send the full URL"):
        restore_url("https://REDACTED@h/other.json?sig=REDACTED", stored)  # path changed
    with pytest.raises(RedactedUrlError):
        restore_url(redact_url(stored), None)  # nothing stored to take the secret from


def test_redact_urls_looks_at_strings_only() -> None:
    block = {"repository": "https://u:p@h/r.git", "auth": {"passwordFile": "/etc/pw"}, "n": 1}
    assert redact_urls(block) == {
        "repository": "https://REDACTED@h/r.git",
        "auth": {"passwordFile": "/etc/pw"},
        "n": 1,
    }
