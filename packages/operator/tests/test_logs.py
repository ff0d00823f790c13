"""The operator's logs: secret-looking keys and credentials in URLs redacted, as the server's."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from mcp_registry_operator.logs import configure_logging


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    yield out
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_secret_keys_and_url_credentials_are_redacted(stream: io.StringIO) -> None:
    configure_logging(level="info", fmt="json", stream=stream)
    log = structlog.get_logger("test")
    url = "https://u:pw-61f0@h.example/r.json?access_token=tok-0c3b"
    log.info("status_read", api_key="key-5a5a", apikey="key-6b6b", error=f"from {url}")
    logging.getLogger("kubernetes_asyncio").warning("retrying %s", url)
    text = stream.getvalue()
    for secret in ("pw-61f0", "tok-0c3b", "key-5a5a", "key-6b6b"):
        assert secret not in text
    first, second = (json.loads(line) for line in text.splitlines())
    shown = "https://REDACTED@h.example/r.json?access_token=REDACTED"
    assert (first["api_key"], first["apikey"]) == ("REDACTED", "REDACTED")
    assert first["error"] == f"from {shown}"
    assert second["event"] == f"retrying {shown}"
