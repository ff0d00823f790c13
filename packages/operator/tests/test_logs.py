"""The operator's logs: secret-looking keys and credentials in URLs redacted, in the same
shape as the server's lines (the same keys hidden, the same fields, the same timestamp)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog
from mcp_registry_operator.logs import configure_logging
from mcp_registry_server import logs as server_logs


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


SECRET_FIELDS = {
    "password": "v-01", "passwd": "v-02", "passphrase": "v-03", "client_secret": "v-04",
    "token": "v-05", "accessToken": "v-06", "Authorization": "v-07", "api_key": "v-08",
    "apikey": "v-09", "apiKey": "v-10", "X-Api-Key": "v-11", "credentials": "v-12",
    "private_key": "v-13", "bypass": "kept",
}  # fmt: skip


def _one_line_from(configure: Callable[[io.StringIO], None], stream: io.StringIO) -> dict[str, Any]:
    configure(stream)
    structlog.get_logger("test").warning(
        "source_failed", url="https://u:pw@h.example/r?sig=s1", **SECRET_FIELDS
    )
    logging.getLogger("urllib3").warning("retrying %s", "https://u:pw@h.example/r")
    server_logs.flush_logs()
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    structlog.reset_defaults()
    return {"structlog": first, "stdlib": second}


def test_both_programs_redact_the_same_keys_in_the_same_shape(stream: io.StringIO) -> None:
    server = _one_line_from(
        lambda out: server_logs.configure_logging(logging.INFO, stream=out, json=True), stream
    )
    operator = _one_line_from(
        lambda out: configure_logging(level="info", fmt="json", stream=out), io.StringIO()
    )
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
    for kind in ("structlog", "stdlib"):
        assert stamp.fullmatch(server[kind].pop("timestamp"))
        assert stamp.fullmatch(operator[kind].pop("timestamp"))
        assert server[kind] == operator[kind]
    hidden = {k for k, v in operator["structlog"].items() if v == "REDACTED"}
    assert hidden == set(SECRET_FIELDS) - {"bypass"}
    assert operator["structlog"]["url"] == "https://REDACTED@h.example/r?sig=REDACTED"
    assert operator["stdlib"] == {
        "event": "retrying https://REDACTED@h.example/r",
        "level": "warning",
        "logger": "urllib3",
    }
