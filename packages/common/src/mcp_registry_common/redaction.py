"""Credentials never leave in outputs: what is redacted from logs, status and API views.

One marker, `REDACTED`, replaces every hidden value:

- in a URL, the userinfo (`user:password@`, or a token as user name) and every value of the
  query and of the fragment, whatever its key (signed URLs name theirs `sig`, `X-Amz-Signature`,
  `se`...; telling secret keys apart is a guess): `https://REDACTED@host/p?sig=REDACTED`;
- in free text (error messages), every URL in it, redacted as above;
- in a mapping (a log event, an audit body), the value of every key that names a secret
  (`is_secret_key`) and, at any depth, every URL in a string (`redact_urls` does only the
  latter, for API views whose other values must read back as they are).

A URL read back from an output may carry the marker where a credential was: `restore_url`
turns such a URL back into the stored one it came from, and refuses any other.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "REDACTED"
"""What every hidden value is replaced with (plain letters: it stays a valid URL part)."""
UNPARSABLE_URL = "<unparsable URL>"

SECRET_KEY = re.compile(
    r"passw(or)?d|passphrase|secret|token|authori[sz]ation|api[-_]?key|credential|private[-_]?key",
    re.IGNORECASE,
)
"""A key containing any of these (case-insensitive) names a secret: `password`, `apiKey`,
`client_secret`, `Authorization`, `X-Api-Key`, `accessToken`... (`bypass` does not)."""

_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")
_TRAILING = ".,;:!?)]}"
"""Punctuation after a URL in a sentence, not part of it."""


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: object) -> bool:
    """True when `key` names a secret. Cached: log events reuse a small set of keys."""
    return SECRET_KEY.search(str(key)) is not None


def redact_url(url: str) -> str:
    """`url` with its userinfo, query values and fragment values replaced by `REDACTED`;
    scheme, host, port, path and query keys are kept. Idempotent."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return UNPARSABLE_URL
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = f"{REDACTED}@{hostport}" if at and userinfo else parts.netloc
    query, fragment = _redact_pairs(parts.query), _redact_pairs(parts.fragment)
    if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
        return url  # nothing hidden: exactly as written
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _redact_pairs(text: str) -> str:
    """`a=1&b&c=` -> `a=REDACTED&REDACTED&c=`: each value hidden (a bare item is a value)."""
    if not text:
        return text
    items = []
    for item in text.split("&"):
        key, equals, value = item.partition("=")
        if equals:
            items.append(f"{key}={REDACTED}" if value else item)
        else:
            items.append(REDACTED if item else item)
    return "&".join(items)


def redact_text(text: str) -> str:
    """`text` with every URL in it (`scheme://...`) redacted by `redact_url`."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(_redact_match, text)


def _redact_match(match: re.Match[str]) -> str:
    found = match.group(0)
    url = found.rstrip(_TRAILING)
    return redact_url(url) + found[len(url) :]


def redact_urls(value: Any) -> Any:
    """`value` with URLs in its strings redacted, at any depth of dicts, lists and tuples;
    keys are not looked at (an API view whose secrets are only in URLs, and whose other
    values, such as a password file's path, must read back as they are)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {key: redact_urls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_urls(item) for item in value]
    if isinstance(value, tuple):
        return tuple(redact_urls(item) for item in value)
    return value


def redact_value(value: Any) -> Any:
    """`value` with URLs in its strings redacted, at any depth of dicts, lists and tuples
    (mappings also lose their secret keys' values, see `redact_mapping`). Anything else is
    returned as it is."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return redact_mapping(value)
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(redact_value(item) for item in value)
    return value


def redact_mapping(mapping: Mapping[Any, Any]) -> dict[Any, Any]:
    """A copy of `mapping` where the value of each key that names a secret is `REDACTED`
    (except None and booleans: `hasPassword: true` says nothing secret) and every other value
    is redacted by `redact_value`."""
    result: dict[Any, Any] = {}
    for key, value in mapping.items():
        if is_secret_key(key) and value is not None and not isinstance(value, bool):
            result[key] = REDACTED
        else:
            result[key] = redact_value(value)
    return result


def carries_redaction(url: str) -> bool:
    """True when `url` holds `REDACTED` where `redact_url` puts it (userinfo, a query or
    fragment value): it was read from an output, not written by someone who knows the secret."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at and REDACTED in userinfo.split(":"):
        return True
    for text in (parts.query, parts.fragment):
        for item in text.split("&") if text else ():
            key, equals, value = item.partition("=")
            if (value if equals else key) == REDACTED:
                return True
    return False


class RedactedUrlError(ValueError):
    """A URL carries the redaction marker and is not the redacted form of the stored one."""


def restore_url(submitted: str, stored: str | None) -> str:
    """The URL to keep when `submitted` replaces `stored`: `stored` itself when `submitted` is
    exactly its redacted form (a view read back unchanged), else `submitted`, unless that
    carries the redaction marker (RedactedUrlError: storing it would replace a credential
    with the marker)."""
    if stored is not None and submitted == redact_url(stored):
        return stored
    if carries_redaction(submitted):
        raise RedactedUrlError(
            f"carries the redaction marker {REDACTED} in place of a credential and is not the "
            "redacted form of the stored URL: send the full URL"
        )
    return submitted
