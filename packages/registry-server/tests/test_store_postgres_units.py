"""Pure parts of the PostgreSQL store: pool mapping, TLS contexts, rows, revisions, backoff."""

from __future__ import annotations

import ast
import asyncio
import os
import random
import ssl
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from mcp_registry_common.backoff import BackoffPolicy, equal_jitter
from mcp_registry_server.store.errors import StoreError, StoreUnavailableError
from mcp_registry_server.store.packed import PackedServers
from mcp_registry_server.store.postgres.availability import AvailabilityGate
from mcp_registry_server.store.postgres.changes import woken
from mcp_registry_server.store.postgres.credentials import Credential, PasswordOrigin
from mcp_registry_server.store.postgres.definitions import definitions_from_json
from mcp_registry_server.store.postgres.pool import connect_kwargs
from mcp_registry_server.store.postgres.records import (
    EncodedJson,
    MetaTooLargeError,
    publisher_meta_size,
    server_records,
)
from mcp_registry_server.store.postgres.revisions import RevisionTracker
from mcp_registry_server.store.postgres.settings import ConnectionSettings, pool_settings
from mcp_registry_server.store.postgres.sqltext import quote_ident, quote_literal
from mcp_registry_server.store.postgres.tls import DatabaseTlsError, SslMode, tls_argument


@pytest.mark.parametrize(
    ("open_conns", "idle", "lifetime", "expected"),
    [
        (10, 2, "30m", (2, 10, 1800.0, 300.0)),
        (25, 5, "5m", (5, 25, 300.0, 300.0)),
        (4, 9, "1h", (4, 4, 3600.0, 300.0)),  # min_size never exceeds max_size
        (10, 0, "90s", (0, 10, 90.0, 90.0)),  # idle connections do not outlive the lifetime
        (10, 2, None, (2, 10, 3600.0, 300.0)),  # pgx's default lifetime
        (0, 1, "30m", (1, max(4, os.cpu_count() or 1), 1800.0, 300.0)),  # pgx's default size
    ],
)
def test_pool_settings(
    open_conns: int, idle: int, lifetime: str | None, expected: tuple[Any, ...]
) -> None:
    pool = pool_settings(max_open_conns=open_conns, max_idle_conns=idle, conn_max_lifetime=lifetime)
    assert (pool.min_size, pool.max_size, pool.max_lifetime, pool.max_inactive_lifetime) == expected


def test_tls_modes_without_verification() -> None:
    assert tls_argument(SslMode.DISABLE, None) is False
    assert tls_argument(SslMode.ALLOW, None) == "allow"
    assert tls_argument(SslMode.PREFER, None) == "prefer"
    required = tls_argument(SslMode.REQUIRE, Path("/ignored/under/require.pem"))
    assert isinstance(required, ssl.SSLContext)
    assert (required.verify_mode, required.check_hostname) == (ssl.CERT_NONE, False)
    assert required.minimum_version == ssl.TLSVersion.TLSv1_2


@pytest.mark.parametrize(("mode", "hostname"), [("verify-ca", False), ("verify-full", True)])
def test_tls_modes_with_verification(mode: str, hostname: bool, tmp_path: Path) -> None:
    from mcp_registry_testing import tls

    ca = tls.make_certificates(tmp_path).ca_cert
    for root in (ca, None):  # None: the system CAs
        context = tls_argument(SslMode(mode), root)
        assert isinstance(context, ssl.SSLContext)
        assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, hostname)


def test_unreadable_ca_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatabaseTlsError, match=r"sslRootCert '.*missing.pem'"):
        tls_argument(SslMode.VERIFY_FULL, tmp_path / "missing.pem")
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(DatabaseTlsError, match="cannot be loaded as a CA bundle"):
        tls_argument(SslMode.VERIFY_CA, tmp_path / "junk.pem")


def _settings(password: str | None, statement_timeout: float) -> ConnectionSettings:
    return ConnectionSettings(
        host="db",
        port=5432,
        database="registry",
        credential=Credential("app", password, PasswordOrigin.NONE),
        ssl_mode=SslMode.DISABLE,
        statement_timeout=statement_timeout,
    )


def test_connect_kwargs() -> None:
    kwargs = connect_kwargs(_settings(None, 30.0))
    assert kwargs["password"] == ""  # never asyncpg's own PGPASSWORD/pgpass fallback
    assert kwargs["command_timeout"] == 35.0
    assert kwargs["server_settings"] == {
        "application_name": "mcp-registry-server",
        "search_path": "registry",
        "statement_timeout": "30000",
        "idle_in_transaction_session_timeout": "30000",
    }
    unlimited = connect_kwargs(_settings("pw", 0.0))
    assert (unlimited["password"], unlimited["command_timeout"]) == ("pw", None)
    assert unlimited["server_settings"]["statement_timeout"] == "0"


META = "io.modelcontextprotocol.registry/publisher-provided"


def test_server_records_keep_order_and_encode_once() -> None:
    servers = [
        {"name": "b/x", "version": "2", "title": "ü"},
        MappingProxyType({"name": "a/y", "nested": MappingProxyType({"k": (1, 2)})}),
    ]
    rows = server_records("src", servers, max_meta_size=10)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("src", 0, "b/x", "2"),
        ("src", 1, "a/y", ""),
    ]
    assert rows[0][4] == '{"name":"b/x","version":"2","title":"ü"}'.encode()
    assert rows[1][4] == b'{"name":"a/y","nested":{"k":[1,2]}}'


def test_packed_servers_give_the_same_rows_with_their_bodies_as_they_are() -> None:
    """What a sync stores arrives packed: the rows are those of the plain servers, and each
    body is the packed one (not encoded again)."""
    servers = [
        {"name": "b/x", "version": "2", "title": "ü", "big": 2**70},
        {"name": "a/y", "nested": {"k": [1, 2.5, None]}},
    ]
    packed = PackedServers.pack(servers)
    rows = server_records("src", packed, max_meta_size=10)
    assert rows == server_records("src", servers, max_meta_size=10)
    assert [bytes(row[4]) for row in rows] == list(packed.bodies)
    assert all(type(row[4]) is EncodedJson for row in rows)


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "packed"])
@pytest.mark.parametrize(("payload", "ok"), [("x" * 8, True), ("x" * 9, False)])
def test_meta_size_limit_is_exact(payload: str, ok: bool, packed: bool) -> None:
    server = {"name": "n", "_meta": {META: {"p": payload}}, "padding": "y" * 100}
    servers = PackedServers.pack([server]) if packed else [server]
    limit = len('{"p":""}') + 8
    assert publisher_meta_size(server) == len('{"p":""}') + len(payload)
    if ok:
        assert len(server_records("s", servers, max_meta_size=limit)) == 1
    else:
        with pytest.raises(
            MetaTooLargeError, match=f"more than database.maxMetaSize \\({limit}\\)"
        ):
            server_records("s", servers, max_meta_size=limit)


def test_revisions_report_only_other_writers() -> None:
    tracker = RevisionTracker()
    tracker.reset({"a": 1, "b": 2})
    assert tracker.changes({"a": 1, "b": 2}) == []
    with tracker.writing("a") as ticket:
        ticket.record(5)  # our write, not yet committed
        assert tracker.changes({"a": 1, "b": 2}) == []  # a poll before our commit
    assert tracker.changes({"a": 5, "b": 2}) == []  # and after it
    assert tracker.changes({"a": 5, "b": 7, "c": 3}) == ["b", "c"]  # another replica's writes
    assert tracker.changes({"b": 2}) == ["a"]  # another replica deleted a
    with tracker.deleting_source("b"):
        assert tracker.changes({"a": 5}) == []  # our own delete, committed or not
        assert tracker.changes({"a": 5, "b": 2}) == []
    assert "b" not in tracker.known


def _fail_while_writing(tracker: RevisionTracker, source: str, revision: int) -> None:
    with tracker.writing(source) as ticket:
        ticket.record(revision)
        raise RuntimeError("rolled back")


def test_a_failed_write_restores_what_was_known() -> None:
    tracker = RevisionTracker()
    tracker.reset({"a": 1})
    with pytest.raises(RuntimeError):
        _fail_while_writing(tracker, "a", 9)
    assert tracker.known == {"a": 1}
    with pytest.raises(RuntimeError):
        _fail_while_writing(tracker, "new", 10)
    assert tracker.known == {"a": 1}
    tracker.acknowledge("x", {"x": 4})
    tracker.acknowledge("a", {})
    assert tracker.known == {"x": 4}


def test_backoff_grows_to_the_cap_with_jitter() -> None:
    policy = BackoffPolicy(base=0.5, cap=8.0, jitter=equal_jitter)
    assert [policy.delay(n, 0.0) for n in (1, 2, 3, 4, 5, 6)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
    assert [policy.delay(n, 0.999) for n in (1, 6, 100)] == pytest.approx([0.5, 8.0, 8.0], rel=1e-2)


def test_gate_fails_fast_until_the_retry_time() -> None:
    now = [100.0]
    gate = AvailabilityGate(
        policy=BackoffPolicy(base=1.0, cap=4.0, jitter=equal_jitter),
        clock=lambda: now[0],
        rng=random.Random(1),
    )
    gate.ensure_open()
    error = gate.failed(ConnectionRefusedError(111, "refused"))
    assert isinstance(error, StoreUnavailableError)
    assert "ConnectionRefusedError" in str(error)
    assert error.retry_after == pytest.approx(gate.retry_at - now[0])
    assert not gate.available
    now[0] += 0.25
    with pytest.raises(StoreUnavailableError, match="next connection attempt in") as closed:
        gate.ensure_open()
    assert closed.value.retry_after == pytest.approx(gate.retry_at - now[0])
    now[0] = gate.retry_at
    gate.ensure_open()  # one attempt is let through
    gate.succeeded()
    assert gate.available
    gate.ensure_open()


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("app", '"app"'), ('we"ird', '"we""ird"'), ("Mixed Case", '"Mixed Case"')],
)
def test_quote_ident(name: str, quoted: str) -> None:
    assert quote_ident(name) == quoted


def test_quoting_rejects_what_sql_cannot_hold() -> None:
    assert quote_literal("it's \\ fine") == "'it''s \\ fine'"
    for bad in ("", "nul\x00"):
        with pytest.raises(ValueError, match="identifier"):
            quote_ident(bad)
    with pytest.raises(ValueError, match="NUL"):
        quote_literal("a\x00b")


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
    return names


def test_asyncpg_is_imported_only_by_the_postgres_store() -> None:
    package = Path(__file__).resolve().parents[1] / "src" / "mcp_registry_server"
    allowed = package / "store" / "postgres"
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if allowed not in path.parents
        and any(n == "asyncpg" or n.startswith("asyncpg.") for n in _imported_modules(path))
    ]
    assert offenders == []


def test_damaged_definitions_are_reported() -> None:
    with pytest.raises(StoreError, match="stored admin definitions are damaged"):
        definitions_from_json({"sources": [{"name": "x"}]})


async def test_a_cancel_that_meets_the_feeds_wake_up_still_cancels_it() -> None:
    """The change feed waits for a NOTIFY with `woken`; its app cancels it at shutdown. When
    the cancel and a wake-up land in one loop turn, the wait must still end cancelled (Python
    3.11's `asyncio.wait_for` returned normally, and the feed never stopped)."""
    wake, waiting = asyncio.Event(), asyncio.Event()

    async def feed() -> str:
        waiting.set()
        await woken(wake, within=300)
        return "carried on"

    task = asyncio.create_task(feed())
    await waiting.wait()  # the feed now waits inside `woken`
    wake.set()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_woken_returns_on_the_event_or_after_its_time() -> None:
    wake = asyncio.Event()
    wake.set()
    await woken(wake, within=300)  # set already: at once
    await woken(asyncio.Event(), within=0.01)  # never set: the bound ends it, without error
